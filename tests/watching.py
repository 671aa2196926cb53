"""A watcher on a real folder for tests: start it, see what it stored, stop it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.articles.ingest import Ingestor
from bot.articles.watcher import Watcher
from bot.articles.withdrawals import Withdrawals
from bot.foundation.metrics import Metrics
from storage import Store
from storage.store import Change
from tests.clocks import FakeClock
from tests.conftest import eventually

GRACE = 60.0  # the watcher's NEWSBOT_WITHDRAW_GRACE, on a clock of the test's


@dataclass
class Watching:
    watcher: Watcher
    changes: list[Change]
    store: Store
    folder: Path

    def queued(self) -> list[tuple[int, str]]:
        rows = self.store.db.execute(
            "SELECT f.chat_id, d.state FROM deliveries d "
            "JOIN feeds f ON f.id = d.feed_id ORDER BY d.id"
        )
        return [(row[0], row[1]) for row in rows]

    def kinds(self) -> list[str]:
        return [c.kind for c in self.changes if c.kind != "unchanged"]

    async def settled(self, count: int) -> None:
        """Wait until `count` meaningful changes were stored."""
        await eventually(lambda: len(self.kinds()) >= count)

    async def withdrawn(self, count: int) -> None:
        """Once `count` files wait to be withdrawn, move past their grace; wait until they are."""
        await grace_over(self.watcher, count)


async def grace_over(watcher: Watcher, count: int) -> None:
    """Once `count` files wait to be withdrawn, move the watcher's clock past their grace and
    wait until none waits."""
    await eventually(lambda: watcher.withdrawals.waiting() == count)
    clock = watcher.withdrawals.clock
    assert isinstance(clock, FakeClock)
    clock.now += GRACE + 1
    await eventually(lambda: watcher.withdrawals.waiting() == 0)


async def watch(
    store: Store,
    folder: Path,
    *,
    polling: bool = False,
    ingestor: Ingestor | None = None,
    on_change: Callable[[Change], None] | None = None,
    built: Callable[[Watcher], None] | None = None,
) -> tuple[Watcher, list[Change], asyncio.Task[None]]:
    """Start a watcher on `folder` (past its start-up scan); its changes land in the list;
    `built` gets the watcher before it starts."""
    changes: list[Change] = []

    def record(change: Change) -> None:
        changes.append(change)
        if on_change is not None:
            on_change(change)

    if ingestor is None:
        ingestor = Ingestor(store, folder.resolve(), max_bytes=4096, recursive=False)
    watcher = Watcher(
        ingestor,
        on_change=record,
        use_polling_observer=polling,
        scan_interval=300.0,
        settle=0.1,
        queue_pushes=True,
        metrics=Metrics(),
        withdrawals=Withdrawals(FakeClock(), grace=GRACE, most=20),
        supervise_every=0.05,
    )
    if built is not None:
        built(watcher)
    task = asyncio.create_task(watcher.run())
    await eventually(lambda: watcher.alive)
    return watcher, changes, task


async def unwatch(task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
