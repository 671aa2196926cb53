"""Retention as a background task: every so often, prune what is older than
`NEWSBOT_RETENTION_DAYS`, a few thousand rows per transaction, yielding to the sends
between batches so that pruning never stalls delivery."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable

from bot.foundation.periodic import run_every
from storage import Store
from storage.retention import UPDATE_WINDOW

log = logging.getLogger(__name__)

DAY = 86400.0


class Pruner:
    """Keeps the outbox and the handled-update ids from growing forever."""

    def __init__(
        self,
        store: Store,
        days: float,
        *,
        clock: Callable[[], float] = time.time,
        interval: float = 3600.0,
        batch: int = 2000,
    ) -> None:
        self.store = store
        self.days = days
        self.clock = clock
        self.interval = interval
        self.batch = batch

    async def prune(self) -> int:
        """Prune everything past the retention now, batch by batch; how many rows went."""
        now, kept = self.clock(), self.days * DAY
        retention = self.store.retention
        removed = 0
        for prune, before in (
            (retention.prune_deliveries, now - kept),
            (retention.prune_updates, now - max(kept, UPDATE_WINDOW)),
        ):
            while True:
                count = prune(before, self.batch)
                removed += count
                await asyncio.sleep(0)  # let the sends and commands run between batches
                if count < self.batch:
                    break
        return removed

    async def run(self) -> None:
        """Prune at start, then every `interval` seconds, until cancelled."""
        await run_every(self.interval, self._prune_logged)

    async def _prune_logged(self) -> None:
        try:
            removed = await self.prune()
        except sqlite3.OperationalError as error:  # locked or full: next time
            log.warning("retention could not prune this time: %s", error)
        else:
            if removed:
                log.info("retention removed %d rows older than %g days", removed, self.days)
