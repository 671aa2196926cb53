"""Whether Telegram's Bot API answers: one record that the poller and the sender both tell.

A network error or a 5xx, to a send or to getUpdates, says the API is away. An answer to
a send says it is back; an answer to getUpdates says so only when sends are not failing
(a 502 on sends alone leaves getUpdates answering), and hurries the sender's next probe.
getUpdates failing while sends are answered holds nothing: after the first away and back,
its failures say nothing more until getUpdates answers or a send fails.
The sender holds its queue while the API is away and probes it with one send at a time
(`bot.delivery.probing`); the log says when the API went away and when it came back, with
the backlog held, and so does `/healthz`: a problem once the API has been away for
`grace` s, and after it came back a note in the 200 answer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

# a failed long poll or two is ordinary; an API away this long is an operator's concern
AWAY_GRACE_SECONDS = 30.0


class Reachability:
    """Away since when and why, or answering; `listen` to hear getUpdates answer again."""

    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        backlog: Callable[[], int] = lambda: 0,
        grace: float = AWAY_GRACE_SECONDS,
    ) -> None:
        self.clock = clock  # a wall clock: the log and /healthz name the moments in UTC
        self.backlog = backlog  # the pushes owed, held while the API is away
        self.grace = grace
        self.away_since: float | None = None
        self.reason: str | None = None
        self.polls_failing = False
        self.sends_failing = False
        self.polls_alone = False  # getUpdates fails, yet sends are answered
        self.last_outage: tuple[float, float, int] | None = None  # from, to, released
        self._listeners: list[Callable[[], None]] = []

    @property
    def away(self) -> bool:
        return self.away_since is not None

    def listen(self, callback: Callable[[], None]) -> None:
        """`callback()` each time getUpdates answers again after failing."""
        self._listeners.append(callback)

    def lost(self, reason: str, *, poll: bool = False) -> None:
        """A send (or, with `poll`, getUpdates) got no answer, or a 5xx."""
        if poll:
            self.polls_failing = True
            if self.polls_alone:
                return  # sends are answered: nothing to hold, nothing to say again
        else:
            self.sends_failing, self.polls_alone = True, False
        self.reason = reason
        if self.away_since is not None:
            return
        self.away_since = self.clock()
        log.warning(
            "Telegram's Bot API is out of reach (%s); holding %d queued pushes until it "
            "answers again",
            reason,
            self.backlog(),
        )

    def polled(self) -> None:
        """getUpdates got an answer that was not a 5xx: back, unless sends still fail;
        the listeners hear it once."""
        self.polls_alone = False
        if not self.polls_failing:
            return
        self.polls_failing = False
        if not self.sends_failing:
            self._back()
        for callback in self._listeners:
            callback()

    def answered(self) -> None:
        """A send got an answer that was not a 5xx: the API is back."""
        self.polls_alone = self.polls_failing
        self.polls_failing = self.sends_failing = False
        self._back()

    def _back(self) -> None:
        if self.away_since is None:
            return
        now, since = self.clock(), self.away_since
        self.away_since, self.reason = None, None
        released = self.backlog()
        self.last_outage = (since, now, released)
        log.warning(
            "Telegram's Bot API answers again after %.0f s (out of reach since %s); "
            "releasing %d queued pushes",
            now - since,
            _utc(since),
            released,
        )

    def problems(self) -> list[str]:
        if self.away_since is None or self.clock() - self.away_since < self.grace:
            return []
        return [
            f"Telegram's Bot API out of reach since {_utc(self.away_since)} ({self.reason}); "
            f"{self.backlog()} pushes held"
        ]

    def notes(self) -> list[str]:
        """What `/healthz` adds to its 200 answer: when the last outage began and ended."""
        if self.last_outage is None or self.away_since is not None:
            return []
        since, until, released = self.last_outage
        return [
            f"Telegram's Bot API was out of reach from {_utc(since)} to {_utc(until)} "
            f"({until - since:.0f} s); {released} held pushes released"
        ]


def _utc(moment: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(moment))
