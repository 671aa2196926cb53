"""Retention as a background task: every so often, prune what is older than
`NEWSBOT_RETENTION_DAYS`, a few thousand rows per transaction, yielding to the sends
between batches so that pruning never stalls delivery; then give the freed pages back
to the file system in steps sized to take about `STEP_TARGET` each (never near the
50 ms that a step may hold the event loop), so that the file follows the rows kept."""

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
# a reclaiming step's aim: the step size doubles below half of it and halves above it
STEP_TARGET = 0.010
FIRST_STEP, MAX_STEP = 64, 256  # pages (4 KiB each): at most 1 MiB a step
# reclaimed pages between two checkpoints, each run in a worker thread, not in a step
CHECKPOINT_EVERY = 1000


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
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.store = store
        self.days = days
        self.clock = clock
        self.interval = interval
        self.batch = batch
        self.timer = timer  # how long each reclaiming step held the loop
        self.longest_step = 0.0

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

    async def reclaim(self) -> int:
        """Give every free page back to the file system, step by step, yielding between
        steps; how many pages went. The WAL is copied into the database (which shrinks)
        by a worker thread, so that no step waits for a checkpoint and its fsync."""
        retention, step, reclaimed, unchecked = self.store.retention, FIRST_STEP, 0, 0
        checkpoint = retention.checkpointer()
        retention.hold_checkpoints()
        try:
            while retention.free_pages():
                started = self.timer()
                freed = retention.reclaim(step)
                took = self.timer() - started
                self.longest_step = max(self.longest_step, took)
                reclaimed, unchecked = reclaimed + freed, unchecked + freed
                if not freed:
                    break  # nothing could go (another connection's snapshot): next pass
                if took < STEP_TARGET / 2:
                    step = min(step * 2, MAX_STEP)
                elif took > STEP_TARGET:
                    step = max(step // 2, 1)
                if unchecked >= CHECKPOINT_EVERY:
                    await asyncio.to_thread(checkpoint)
                    unchecked = 0
                await asyncio.sleep(0)  # the sends and commands run between steps
        finally:
            retention.resume_checkpoints()
        if reclaimed:
            await asyncio.to_thread(checkpoint)
        return reclaimed

    async def run(self) -> None:
        """Prune at start, then every `interval` seconds, until cancelled."""
        await run_every(self.interval, self._prune_logged)

    async def _prune_logged(self) -> None:
        try:
            removed = await self.prune()
            reclaimed = await self.reclaim()
        except sqlite3.OperationalError as error:  # locked or full: next time
            log.warning("retention could not prune this time: %s", error)
        else:
            if removed or reclaimed:
                log.info(
                    "retention removed %d rows older than %g days; %d free pages given "
                    "back to the file system",
                    removed,
                    self.days,
                    reclaimed,
                )
