"""The watcher's writes on a thread of their own, with a database connection of their own.

Storing a file can be heavy: queueing one article for 100,000 chats is a 0.1 s statement,
a scan batch of files more. On the event loop that stalls every command and send for as
long. Here each write is a job run on one worker thread, one at a time in the order
asked (the watcher awaits each before the next), in one transaction that takes the write
lock as it begins (`storage.database.WritingDatabase`). A job's changes are committed
before its result comes back, so whatever the caller then tells (the sender's wake-up)
finds them from its own connection.

Queueing one article for 100,000 chats in one transaction would hold the write lock for
0.2-0.7 s, and every write of the loop's own connection (a send settling, a command)
would wait that long, on the loop. So this thread's store queues in chunks of
`CHUNK_FEEDS` feeds (`Queueing.queue_push`): the article's own transaction writes the
queueing mark and the first chunk, and each further chunk is a job of its own, submitted
from the loop. Between two chunks the lock is free, and a write of the loop that waited
for it gets it before the next chunk can start (the next chunk is submitted by the loop).
`run` returns once the job's articles are queued for every feed, so the watcher stores
its next file after them and each chat's pushes stay in order; marks that a crash or a
failed chunk left are finished before the next job (and at start-up, before the scan).

A store in memory cannot be opened twice: its jobs run inline, on the caller's thread.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import TypeVar

from storage import Store, open_store
from storage.store import Change

T = TypeVar("T")

CHUNK_FEEDS = 2000  # feeds per queueing transaction: ~5 ms of write lock on a quiet machine


class StoreWriter:
    """Runs `job(store)` on the writer thread, with that thread's own `Store`."""

    def __init__(self, store: Store) -> None:
        self._main = store
        self._path = store.path()
        # the writer waits for another process's lock as long as the store it stands in for
        self._busy_ms = int(store.db.execute("PRAGMA busy_timeout").fetchone()[0])
        self._executor: ThreadPoolExecutor | None = None
        self._local = threading.local()
        self._unfinished = True  # queueing marks may be left (a crash): look before a job
        self._later: dict[int, int] = {}  # article -> pushes queued after its transaction

    async def run(self, job: Callable[[Store], T]) -> T:
        """Run one job in one transaction, to its commit, then queue what it left to queue
        in chunks; its exception comes back here."""
        if self._unfinished:
            await self._finish_queueing()
        result, self._unfinished = await self._submit(
            functools.partial(_and_queueing_left, job), atomic=True
        )
        if self._unfinished:
            await self._finish_queueing()
        return result

    def completed(self, change: Change) -> Change:
        """`change` (of a job) with the pushes queued for its article in later chunks."""
        later = self._later.pop(change.article_id or 0, 0)
        return replace(change, queued=change.queued + later) if later else change

    async def _finish_queueing(self) -> None:
        while (chunk := await self._submit(_queue_chunk, atomic=True)) is not None:
            article_id, queued = chunk
            self._later[article_id] = self._later.get(article_id, 0) + queued
        self._unfinished = False

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
            store = open_store(self._path, create=False, chunk_feeds=CHUNK_FEEDS)
            self._local.store = store
            store.db.execute(f"PRAGMA busy_timeout = {self._busy_ms}")
        return _within(store, job, atomic=atomic)

    def _close_store(self) -> None:
        store: Store | None = getattr(self._local, "store", None)
        if store is not None:
            store.close()
            self._local.store = None


def _and_queueing_left(job: Callable[[Store], T], store: Store) -> tuple[T, bool]:
    return job(store), store.queueing.queueing_left()


def _queue_chunk(store: Store) -> tuple[int, int] | None:
    return store.queueing.queue_chunk(time.time())


def _within(store: Store, job: Callable[[Store], T], *, atomic: bool) -> T:
    if not atomic:
        return job(store)
    with store.db.atomic():
        return job(store)
