"""How long to wait after failures in a row: the first wait, doubling each time, up to a cap.

One rule for every retry in newsbot (a send that failed, a file the database was too busy
for, Telegram unreachable at start-up); each place states only its own first wait and cap.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

# 2.0 ** 1023 is the largest power of two a float holds; past it the cap has long been reached
_HIGHEST_EXPONENT = 1023


@dataclass(frozen=True, slots=True)
class Backoff:
    """Waits of `first`, 2 * `first`, 4 * `first` ... seconds, never more than `cap`."""

    first: float
    cap: float

    def delay(self, failures: int) -> float:
        """Seconds to wait after `failures` failures in a row (the first failure: `first`)."""
        exponent = min(max(failures, 1) - 1, _HIGHEST_EXPONENT)
        return min(self.cap, self.first * 2.0**exponent)

    def delays(self) -> Iterator[float]:
        """The waits after one failure, two, three ... for ever."""
        return (self.delay(failures) for failures in itertools.count(1))
