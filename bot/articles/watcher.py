"""Watching the articles folder: watchdog events, a start-up scan and periodic scans.

The observer thread (`bot.articles.folder_events`) only turns events into `FileEvent` values and
hands them to the event loop with `call_soon_threadsafe`. On the loop, a file whose writer
is done (close-after-write, a rename into place, a deletion) is read at once; one that is
still being written (created, modified) is read once it has been quiet for `settle` seconds.
One that does not parse while it is probably still being written is read again when it
settles (`bot.articles.half_written`).
Reading and parsing run in a worker thread; storing runs on the writer thread
(`bot.articles.writer`), one change at a time, and each is reported on the loop once committed.
Scans catch whatever events missed: downtime, inotify overflow, network mounts.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from bot.articles.baseline import Baseline
from bot.articles.folder_events import FileEvent
from bot.articles.half_written import HalfWritten
from bot.articles.ingest import Ingestor
from bot.articles.observing import ObservedFolder
from bot.articles.reading import printable
from bot.articles.reconcile import Reconciliation
from bot.articles.withdrawals import Withdrawals, release_asked, store_loaded, store_scanned
from bot.articles.writer import StoreWriter
from bot.foundation.backoff import Backoff
from bot.foundation.errors import FolderUnreadable
from bot.foundation.metrics import Metrics
from bot.foundation.periodic import run_every
from storage import Store
from storage.errors import database_busy
from storage.store import Change

log = logging.getLogger(__name__)

# another process holding the database's write lock delays a file, never drops it: it
# is read again after 0.5, 1, 2 ... s, at most 30 s apart, until stored
BUSY_BACKOFF = Backoff(first=0.5, cap=30.0)
# files stored per transaction in a scan: each holds SQLite's write lock, which the
# event loop's own writes (sends, commands) wait for
STORE_CHUNK = 50


class Watcher:
    """Keeps the database in step with the folder, live and across restarts."""

    def __init__(
        self,
        ingestor: Ingestor,
        *,
        on_change: Callable[[Change], None],
        use_polling_observer: bool,
        scan_interval: float,
        settle: float,
        queue_pushes: bool,
        metrics: Metrics,
        withdrawals: Withdrawals,
        supervise_every: float = 1.0,
        poll_interval: float = 1.0,
    ) -> None:
        self.ingestor = ingestor
        self.on_change = on_change
        self.use_polling_observer = use_polling_observer
        self.scan_interval = scan_interval
        self.settle = settle
        self.supervise_every = supervise_every
        self.queue_pushes = queue_pushes
        self.metrics = metrics
        self.poll_interval = poll_interval
        self.withdrawals = withdrawals
        self.folder = ObservedFolder(ingestor.root, self._emit, recursive=ingestor.recursive)
        self.alive = False
        self.in_baseline = False  # the first start's scan: what it stores is not pushed
        self._queue: asyncio.Queue[Path] = asyncio.Queue()
        self._queued: set[Path] = set()
        self._timers: dict[Path, asyncio.TimerHandle] = {}
        self.half_written = HalfWritten(settle)
        self._first_seen: dict[Path, float] = {}
        self._reading = 0  # 1 while the consumer reads or stores a file
        self._next_scan = 0.0  # when the supervisor scans next (time.monotonic)
        self._busy_tries: dict[Path, int] = {}  # files waiting for a locked database
        self._scan_waits = False  # the last scan met a locked database
        self._unreadable: str | None = None  # why the last scan could not list the folder
        self._kept: str | None = None  # why it kept files that seemed gone (an empty folder)
        self._starting = False  # the start-up scan has not finished
        self.started = asyncio.Event()  # the start-up scan (the first start's baseline) is done
        self._baseline: Baseline | None = None  # while the first start's scan runs
        self._loop: asyncio.AbstractEventLoop | None = None
        self.writer = StoreWriter(ingestor.store)
        released = functools.partial(release_asked, ingestor.store, self.writer)
        withdrawals.attach(self._remove, released)

    async def run(self) -> None:
        """Start watching, reconcile with a scan, then process events until cancelled."""
        self._loop = asyncio.get_running_loop()
        self.folder.begin(self._polling_every())
        baseline = not self.ingestor.store.flags.baseline_done
        self.in_baseline, self._starting = baseline, True
        self._baseline = Baseline(self._first_seen) if baseline else None
        try:
            tries = 0
            queue, announce = self.queue_pushes and not baseline, not baseline
            while (found := await self._try_scan(queue=queue, announce=announce)) is None:
                tries += 1
                await asyncio.sleep(BUSY_BACKOFF.delay(tries))
        finally:
            self.in_baseline = self._starting = False
            self._baseline = None
        if baseline:
            self.ingestor.store.flags.mark_baseline_done()
            Baseline.taken(found)
        self.alive = True
        self.started.set()
        tasks = [
            asyncio.create_task(self._consume(), name="watcher-consume"),
            asyncio.create_task(self._supervise(), name="watcher-supervise"),
        ]
        try:
            await asyncio.gather(*tasks)
        finally:
            self.alive = False
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self.folder.stop()
            await self.writer.close()

    def problems(self) -> list[str]:
        """Why watching is not healthy, for /healthz; empty when it is."""
        if self.folder.missing:
            return [f"the articles folder {self.ingestor.root} is missing"]
        if note := self._unreadable or self._kept:
            return [note]
        locked = "the database is locked by another process: "
        if self._scan_waits and self._starting:
            return [locked + "the start-up scan waits for it"]
        if self._starting:
            return ["the start-up scan of the articles folder is not done yet"]
        if not self.alive:
            return ["the folder watcher is not running"]
        waiting = len(self._busy_tries)
        if waiting:
            files = "1 article file waits" if waiting == 1 else f"{waiting} article files wait"
            return [f"{locked}{files} for it"]
        scan = [locked + "the folder's scan waits for it"] if self._scan_waits else []
        return scan + self.withdrawals.problems()

    async def scan(self, *, queue: bool = True, announce: bool = True) -> int:
        """Reconcile the folder with the database; returns how many files changed.
        Without `announce` (the baseline, never pushed), no INFO line for each article."""

        def begin(store: Store) -> Reconciliation:
            ingestor = self.ingestor.on(store)
            ingestor.announce = ingestor.announce and announce
            return Reconciliation(
                ingestor,
                queue=queue,
                parallel=False,
                keep_if_empty=True,
                live=self._baseline.is_news if self._baseline else lambda item: False,
            )

        if not await asyncio.to_thread(self.ingestor.root.is_dir):
            return 0  # nothing to compare; `supervise` reports the folder missing
        reconciliation = await self.writer.read(begin)
        listed_at = self.withdrawals.clock()
        found = await asyncio.to_thread(reconciliation.compare)
        if reconciliation.kept and reconciliation.kept != self._kept:  # one line while it lasts
            log.error("%s", reconciliation.kept)
        self._kept = reconciliation.kept
        if not await asyncio.to_thread(self.ingestor.root.is_dir):
            # a folder that vanished lists as empty: its files are not gone, it is
            return 0
        if reconciliation.kept is None:  # files gone are withdrawn if they stay away
            self.withdrawals.scanned(found.gone, listed_at)
        while (batch := await asyncio.to_thread(reconciliation.read_next)) is not None:
            for first in range(0, len(batch), STORE_CHUNK):
                part = batch[first : first + STORE_CHUNK]
                gone = self.withdrawals.waiting_keys(self.ingestor.key)
                changes, moved = await self.writer.run(
                    functools.partial(store_scanned, reconciliation, part, gone)
                )
                for path in moved:
                    self.withdrawals.back(path)
                for change in changes:
                    self.on_change(self.writer.completed(change))
        for path in reconciliation.stale:  # stored live while the scan read it: read again
            self._enqueue(path)
        if found.changed or found.gone:
            log.info("scan: %d files new or changed, %d gone", len(found.changed), len(found.gone))
        return len(found.changed) + len(found.gone)

    async def _try_scan(self, *, queue: bool, announce: bool = True) -> int | None:
        """`scan`, unless another process holds the database: then None, to try later."""
        try:
            found = await self.scan(queue=queue, announce=announce)
        except sqlite3.OperationalError as error:
            if not database_busy(error):
                raise
            log.warning("database is locked by another process; the scan is tried again")
            self._scan_waits = True
            return None
        except FolderUnreadable as error:
            if self._unreadable != str(error):  # one line while the reason stays the same
                log.error("%s; nothing in it is forgotten, the scan is tried again", error)
            self._unreadable = str(error)
            return None
        self._scan_waits, self._unreadable = False, None
        return found

    # --- events, on the loop ----------------------------------------------------------

    def on_event(self, event: FileEvent) -> None:
        if not self.ingestor.wants(event.path):
            return
        self._first_seen.setdefault(event.path, event.seen_at)
        timer = self._timers.pop(event.path, None)
        if timer is not None:
            timer.cancel()
        if event.settled:
            self.half_written.closed(event.path)
            self._enqueue(event.path)
        else:
            self.half_written.opened(event.path)
            assert self._loop is not None
            self._timers[event.path] = self._loop.call_later(self.settle, self._enqueue, event.path)

    def _enqueue(self, path: Path) -> None:
        self._timers.pop(path, None)
        if path not in self._queued:
            self._queued.add(path)
            self._queue.put_nowait(path)

    def pending(self) -> int:
        """How many files wait to be read: settling, queued, or being read now."""
        return len(self._timers) + len(self._queued) + self._reading

    async def _consume(self) -> None:
        while True:
            path = await self._queue.get()
            self._queued.discard(path)
            self._reading = 1
            try:
                await self._process(path)
                self._busy_tries.pop(path, None)
            except Exception as error:  # the top of the consumer: one file must not end watching
                if database_busy(error):
                    self._retry_later(path)
                else:
                    log.exception(
                        "could not process %s; the next scan tries again", printable(path)
                    )
            finally:
                self._reading = 0

    def _retry_later(self, path: Path) -> None:
        tries = self._busy_tries[path] = self._busy_tries.get(path, 0) + 1
        delay = BUSY_BACKOFF.delay(tries)
        log.warning(
            "database is locked by another process; %s is stored once it is free "
            "(try %d, again in %.1f s)", printable(self.ingestor.key(path)), tries, delay,
        )  # fmt: skip
        assert self._loop is not None
        earlier = self._timers.pop(path, None)
        if earlier is not None:
            earlier.cancel()
        self._timers[path] = self._loop.call_later(delay, self._enqueue, path)

    async def _process(self, path: Path) -> None:
        before = self.ingestor.file_state(path)
        known_hash = None if before is None else before.hash
        # there and read in one trip to a thread (the loop to a thread: 0.27 ms p50 measured)
        there = functools.partial(self.ingestor.load_if_there, path, known_hash)
        if (loaded := await asyncio.to_thread(there)) is None:
            self._forget(path)
            known = self.ingestor.file_state(path) is not None
            await self.withdrawals.went(path, known=known, root=self.ingestor.root)
            return
        self.withdrawals.back(path)
        if self.ingestor.file_state(path) != before:
            self._enqueue(path)  # a scan stored the file while we read it: read it again
            return
        if loaded.error is not None and self.half_written.still_written(loaded):
            # a half-written file: read it again when it settles, record nothing yet
            assert self._loop is not None
            self._timers[path] = self._loop.call_later(self.settle, self._enqueue, path)
            return
        self.half_written.parsed(path)

        gone = self.withdrawals.waiting_keys(self.ingestor.key)
        job = functools.partial(
            store_loaded, self.ingestor, loaded, before, gone, self.queue_pushes
        )
        stored = await self.writer.run(job)
        if stored is None:
            self._enqueue(path)  # a scan stored the file while we read it: read it again
            return
        self.withdrawals.back(stored[1])
        change = self.writer.completed(stored[0])
        seen = self._first_seen.pop(path, None)
        if seen is not None and change.queued:
            self.metrics.detection_latency.observe(time.monotonic() - seen)
        self.on_change(change)

    def _forget(self, path: Path) -> None:
        self.half_written.forget(path)
        self._first_seen.pop(path, None)

    async def _remove(self, path: Path) -> None:
        change, others = await self.writer.run(lambda store: self.ingestor.on(store).remove(path))
        self.on_change(change)
        for other in others:  # a file with the same webUrl may now be the article
            self._enqueue(other)

    # --- the observer thread ----------------------------------------------------------

    def _emit(self, event: FileEvent) -> None:
        """On the observer thread: hand the event to the loop."""
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self.on_event, event)

    def _polling_every(self) -> float | None:
        return self.poll_interval if self.use_polling_observer else None

    async def _supervise(self) -> None:
        """Keep the observer running (`ObservedFolder.supervise`); rescan after it was
        (re)started, since events were lost, and every `scan_interval` seconds."""
        self._next_scan = time.monotonic() + self.scan_interval
        await run_every(self.supervise_every, self._supervise_once, wait_first=True)

    async def _supervise_once(self) -> None:
        await self.withdrawals.withdraw_due(self.ingestor.root)
        started = await self.folder.supervise(self._polling_every())
        if started is None:
            return
        if started:
            self._next_scan = 0.0
        if time.monotonic() >= self._next_scan:
            self._next_scan = time.monotonic() + self.scan_interval
            if await self._try_scan(queue=self.queue_pushes) is None:
                self._next_scan = time.monotonic() + min(self.scan_interval, BUSY_BACKOFF.cap)
