"""While Telegram's Bot API is away: the queue is held, and one send at a time probes it.

Rows that fail for want of an answer (a network error, a 5xx) go back to the queue due at
once, but nothing is claimed while the API is away except one probe: the next ready row,
after 1, 2, 4, 8 s and then every 10 s (`PROBE_BACKOFF`), so a long outage costs at most one send
request per 10 s after its first minute, not one per row. The first answer to a probe, or
getUpdates answering again, releases everything, paced as usual: every owed push is under
way within 10 s of the API's return, however long the outage lasted.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.foundation.backoff import Backoff
from bot.foundation.reachability import Reachability

# after 1, 2, 4, 8 s, then every 10 s: the first minute looks often, later ones gently
PROBE_BACKOFF = Backoff(first=1.0, cap=10.0)


class Probing:
    """When the next probe may go while the API is away (`reach`)."""

    def __init__(
        self,
        reach: Reachability,
        clock: Callable[[], float],
        backoff: Backoff = PROBE_BACKOFF,
    ) -> None:
        self.reach = reach
        self.clock = clock
        self.backoff = backoff
        self.failing = False  # a send of ours got no answer; only an answer clears it
        self.failures = 0  # in a row: the first failed send, then each failed probe
        self.next_at = 0.0
        self.probe: int | None = None  # the row sent as the probe, while it is in flight
        self._started = 0.0
        reach.listen(self.hurry)

    @property
    def holding(self) -> bool:
        """Whether only probes may go now."""
        return self.failing or self.reach.away

    def due(self, now: float, in_flight: int) -> bool:
        """A probe may go now: its time came, and no send is still waiting for an answer."""
        return in_flight == 0 and now >= self.next_at

    def next_moment(self) -> float | None:
        return self.next_at if self.holding else None

    def sent(self, row_id: int, now: float) -> None:
        self.probe, self._started = row_id, now

    def failed(self, row_id: int, reason: str) -> None:
        """A send got no answer: the first opens the hold; a failed probe doubles the wait."""
        now = self.clock()
        self.reach.lost(reason)
        if not self.failing:
            self.failing, self.failures = True, 1
            self.next_at = now + self.backoff.delay(self.failures)
        elif row_id == self.probe:
            self.failures += 1
            # counted from the probe's start, so that a slow refusal does not stretch it
            self.next_at = max(self._started + self.backoff.delay(self.failures), now)
        if row_id == self.probe:
            self.probe = None

    def answered(self, row_id: int) -> None:
        """A send got an answer: the API is there; what was held goes, paced as usual."""
        if row_id == self.probe:
            self.probe = None
        self.failing, self.failures, self.next_at = False, 0, 0.0
        self.reach.answered()

    def hurry(self) -> None:
        """getUpdates answers again: probe now rather than at the next step of the wait."""
        self.next_at = min(self.next_at, self.clock())
