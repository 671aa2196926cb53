"""The watcher's writes on a thread of their own, with a database connection of their own.

Storing a file can be heavy: queueing one article for 100,000 chats is a 0.1 s statement,
a scan batch of files more. On the event loop that stalls every command and send for as
long. Here each write is a job run on one worker thread, one at a time in the order
asked (the watcher awaits each before the next), in one transaction that takes the write
lock as it begins (`storage.database.WritingDatabase`). A job's changes are committed
before its result comes back, so whatever the caller then tells (the sender's wake-up)
finds them from its own connection.

A store in memory cannot be opened twice: its jobs run inline, on the caller's thread.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from storage import Store, open_store

T = TypeVar("T")


class StoreWriter:
    """Runs `job(store)` on the writer thread, with that thread's own `Store`."""

    def __init__(self, store: Store) -> None:
        self._main = store
        self._path = store.path()
        # the writer waits for another process's lock as long as the store it stands in for
        self._busy_ms = int(store.db.execute("PRAGMA busy_timeout").fetchone()[0])
        self._executor: ThreadPoolExecutor | None = None
        self._local = threading.local()

    async def run(self, job: Callable[[Store], T]) -> T:
        """Run one job in one transaction, to its commit; its exception comes back here."""
        return await self._submit(job, atomic=True)

    async def read(self, job: Callable[[Store], T]) -> T:
        """Run a job that only reads (no transaction: it holds no write lock)."""
        return await self._submit(job, atomic=False)

    async def _submit(self, job: Callable[[Store], T], *, atomic: bool) -> T:
        if not self._path:
            return _within(self._main, job, atomic=atomic)
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="newsbot-writer")
        work = functools.partial(self._job, job, atomic=atomic)
        return await asyncio.get_running_loop().run_in_executor(self._executor, work)

    async def close(self) -> None:
        """Wait for the job under way, close the thread's connection and end the thread."""
        executor, self._executor = self._executor, None
        if executor is None:
            return
        executor.submit(self._close_store)
        await asyncio.to_thread(executor.shutdown)

    def _job(self, job: Callable[[Store], T], *, atomic: bool) -> T:
        store: Store | None = getattr(self._local, "store", None)
        if store is None:
            store = self._local.store = open_store(self._path, create=False)
            store.db.execute(f"PRAGMA busy_timeout = {self._busy_ms}")
            # what a Store holds in memory, set by wiring on the loop's store: whether
            # storing an edited article queues edits and retractions of its pushes
            main = self._main.followups
            store.followups.set_switches(edits=main.edits, retractions=main.retractions)
        return _within(store, job, atomic=atomic)

    def _close_store(self) -> None:
        store: Store | None = getattr(self._local, "store", None)
        if store is not None:
            store.close()
            self._local.store = None


def _within(store: Store, job: Callable[[Store], T], *, atomic: bool) -> T:
    if not atomic:
        return job(store)
    with store.db.atomic():
        return job(store)
