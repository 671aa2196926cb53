"""How long a request spends on the wire to Telegram and back, from recent round trips.

The pacer (`bot.delivery.pacing`) takes that much off each answer's time, so that a
constant latency costs no throughput; only the jitter does.
"""

from __future__ import annotations

from collections import deque

WIRE_MEMORY = 60.0  # seconds a round trip counts towards the shortest one
# the wire to Telegram and back takes well under this from anywhere: a shortest round
# trip longer than that is waiting too (every request of the minute held up), not wire
WIRE_CAP = 0.5


class RoundTrips:
    """The shortest round trip of the last `WIRE_MEMORY` seconds: the time on the wire.

    A request that left at `start` and was answered at `answer` reached Telegram between
    the two. Of two sends, the earlier one arrived at the latest at its answer less its
    answer's way down, the later one at the earliest at its start plus its way up; a way
    up and a way down together take at least the shortest round trip seen (the wire both
    ways, nothing waiting), so that much is taken off answer times. The first answers
    after a quiet spell may all have paid for opening connections (TCP, TLS): nothing is
    taken off until `trusted` round trips are known, and never more than `WIRE_CAP`.
    Kept as a deque of (when, seconds) with rising seconds: the front is the shortest
    (amortised O(1))."""

    def __init__(self, trusted: int) -> None:
        self._samples: deque[tuple[float, float]] = deque()
        self._trusted = trusted
        self._known = 0  # round trips since the deque was last empty

    def add(self, now: float, seconds: float) -> None:
        self.shortest(now)  # forget the old first
        while self._samples and self._samples[-1][1] >= seconds:
            self._samples.pop()
        self._samples.append((now, seconds))
        self._known += 1

    def shortest(self, now: float) -> float:
        while self._samples and self._samples[0][0] < now - WIRE_MEMORY:
            self._samples.popleft()
        if not self._samples:
            self._known = 0
        return min(self._samples[0][1], WIRE_CAP) if self._known >= self._trusted else 0.0
