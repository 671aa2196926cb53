"""One INFO line when an article's fan-out is over: sent, failed, cancelled, and how long.

The sender settles pushes one by one and knows nothing of fan-outs, so this looks at the
outbox every few seconds for the articles whose pushes were queued since the start.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from storage.figures import Figures

log = logging.getLogger(__name__)

CHECK_SECONDS = 2.0
OPEN_STATES = ("pending", "sending")


class FanOuts:
    """The fan-outs in progress, each logged once when none of its pushes is open."""

    def __init__(
        self,
        figures: Figures,
        clock: Callable[[], float] = time.monotonic,
        every: float = CHECK_SECONDS,
    ) -> None:
        self.figures = figures
        self.clock = clock
        self.every = every
        self.started: dict[int, float] = {}

    def queued(self, article_id: int) -> None:
        """Pushes of this article were queued: follow it until they are all settled."""
        self.started.setdefault(article_id, self.clock())

    def check(self) -> None:
        """Log and forget each followed fan-out that has no push left to send."""
        for article_id, started in list(self.started.items()):
            states = self.figures.fan_out(article_id)
            if any(states.get(state) for state in OPEN_STATES):
                continue
            del self.started[article_id]
            log.info(
                "fan-out of article %d done: %d sent, %d failed, %d cancelled in %.1f s",
                article_id,
                states.get("sent", 0),
                states.get("failed", 0),
                states.get("cancelled", 0),
                self.clock() - started,
            )

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.every)
            self.check()
