"""One INFO line when an article's fan-out is over: sent, failed, cancelled, and how long.

The sender settles pushes one by one and knows nothing of fan-outs, so this looks at the
outbox every few seconds for the articles whose pushes were queued since the start, and
for those whose pushes a stop left open (resumed, and timed from when they were queued).
Each look asks the index of open pushes whether one is left (one probe, however big the
fan-out); the pushes are counted once, for the line.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable

from bot.foundation.periodic import run_every
from storage.figures import Figures
from storage.outbox import DeliveryState

log = logging.getLogger(__name__)

CHECK_SECONDS = 2.0


class FanOuts:
    """The fan-outs in progress, each logged once when none of its pushes is open."""

    def __init__(
        self,
        figures: Figures,
        clock: Callable[[], float] = time.monotonic,
        every: float = CHECK_SECONDS,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.figures = figures
        self.clock = clock
        self.every = every
        self.wall = wall  # the outbox's time: when a resumed fan-out's pushes were queued
        self.started: dict[int, float] = {}  # article -> its start, on `clock`
        self.resumed = False  # the fan-outs a stop interrupted are followed

    def queued(self, article_id: int) -> None:
        """Pushes of this article were queued: follow it until they are all settled."""
        self.started.setdefault(article_id, self.clock())

    def resume(self) -> None:
        """Follow the fan-outs a stop interrupted, from when their open pushes were queued."""
        now, wall = self.clock(), self.wall()
        for article_id, queued in self.figures.open_fan_outs().items():
            started = now - max(wall - queued, 0.0)
            self.started[article_id] = min(self.started.get(article_id, now), started)

    def check(self) -> None:
        """Log and forget each followed fan-out that has no push left to send."""
        for article_id, started in list(self.started.items()):
            if self.figures.fan_out_open(article_id):
                continue
            # counted before it is forgotten: a count the database refuses leaves it
            # followed, for the next look to log
            states = self.figures.fan_out(article_id)
            del self.started[article_id]
            log.info(
                "fan-out of article %d done: %d sent, %d failed, %d cancelled in %.1f s",
                article_id,
                states.get(DeliveryState.SENT, 0),
                states.get(DeliveryState.FAILED, 0),
                states.get(DeliveryState.CANCELLED, 0),
                self.clock() - started,
            )

    def look(self) -> None:
        """Resume (once) and `check`: a read the database refuses (an I/O error, a damaged
        page) costs one warning and is tried again at the next look, rather than ending
        these lines for good, or a stop in a traceback (the look after it)."""
        try:
            if not self.resumed:
                self.resume()
                self.resumed = True
            self.check()
        except sqlite3.Error as error:
            log.warning("cannot read the fan-outs' progress (%s); trying again", error)

    async def run(self) -> None:
        """`look` now and every `every` seconds, until cancelled."""
        await run_every(self.every, self.look)
