"""Bringing the database in step with the folder: the one pipeline behind the watcher's
scans and `newsbot ingest`.

A pass compares the folder with the files the database knows by size and mtime (no
file is read), forgets the files that are gone, then reads, parses and stores the
others in batches of `LOAD_BATCH`, one transaction each. A file that shared its
webUrl with a gone one is read again in the same pass: it may now hold the article.
A file whose stored state changed while its batch was read (the live watcher stored a
newer version meanwhile) is not stored from the stale read: it is listed in `stale`
for the caller to read again, as is a file that `live` says the live path must store
(one written while the first start's baseline scan ran is pushed, not baseline).

Comparing and reading touch no database, so a caller may run them off the store's
thread (the watcher runs them in a worker thread); removing and storing run on the
store's thread. A large pass that may use processes (`ingest`) reads in
`os.cpu_count()` worker processes once it has `PARALLEL_FROM` files to read; when it
also reads at least as many files as the database knows (a first import), it stores
them with the full-text index suspended and rebuilt once after (`storing`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from bot.articles.ingest import Ingestor, Loaded, Scan
from bot.articles.reading import printable
from storage.store import Change

PARALLEL_FROM = 2000  # files; below this, worker processes cost more than they save


class Reconciliation:
    """One pass: `compare`, `remove_gone`, then `read_next` and `store` until read out."""

    def __init__(
        self,
        ingestor: Ingestor,
        *,
        queue: bool,
        parallel: bool,
        keep_if_empty: bool = False,
        live: Callable[[Loaded], bool] = lambda item: False,
    ) -> None:
        """Take the database's view of the files now (on the store's thread). With
        `keep_if_empty`, a folder that lists no file is taken for one not mounted; the
        files `live` names are left to the caller (`stale`) rather than stored."""
        self.ingestor = ingestor
        self.live = live
        self.queue = queue
        self.parallel = parallel
        self.keep_if_empty = keep_if_empty
        self.kept: str | None = None  # why the files gone were kept, if they were
        self.known = ingestor.store.files.file_states()
        # what each file's row held when this pass read the file: storing from a read is
        # right only while the row still holds it
        self.read_from = dict(self.known)
        self.stale: list[Path] = []
        self.found = Scan([], [], 0)
        self.to_read: list[Path] = []
        self._batches: Iterator[list[Loaded]] | None = None

    def compare(self) -> Scan:
        """Which files are new or changed, and which are gone (any thread: no database)."""
        found = self.ingestor.scan(self.known)
        if self.keep_if_empty and found.total == 0 and found.gone:
            # an unmounted network folder is an empty one: forgetting its files would
            # retract their pushes, and push them all again once it is mounted
            self.kept = (
                f"the articles folder {printable(self.ingestor.root)} lists no file while the database "
                f"holds {len(found.gone)} of its files: they are kept, as those of a folder "
                "not mounted (`newsbot ingest` forgets them)"
            )
            found = Scan(found.changed, [], 0)
        self.found = found
        self.to_read = list(found.changed)
        return found

    def remove_gone(self) -> list[Change]:
        """Forget the files that are gone, in one transaction (on the store's thread)."""
        gone = set(self.found.gone)
        reading = set(self.to_read)
        changes = []
        with self.ingestor.store.batch():
            for path in self.found.gone:
                change, others = self.ingestor.remove(path)
                changes.append(change)
                for other in others:
                    if other not in gone and other not in reading:
                        # the database forgot its hash: read and parse it, not just compare
                        self.known.pop(self.ingestor.key(other), None)
                        self.to_read.append(other)
                        reading.add(other)
        # removing changed the rows of the files that shared a webUrl with a gone one
        again = [self.ingestor.key(path) for path in self.to_read[len(self.found.changed) :]]
        if again:
            self.read_from.update(self.ingestor.store.files.file_states(again))
        return changes

    def read_next(self) -> list[Loaded] | None:
        """Read and parse the next batch (any thread: no database); None when all are read."""
        if self._batches is None:
            many = self.parallel and len(self.to_read) >= PARALLEL_FROM
            workers = (os.cpu_count() or 1) if many else 1
            self._batches = self.ingestor.load_many(self.to_read, self.known, workers)
        return next(self._batches, None)

    def storing(self) -> AbstractContextManager[None]:
        """Around the `store` calls: a bulk import rebuilds the full-text index once, after."""
        if self.parallel and len(self.to_read) >= max(PARALLEL_FROM, len(self.known)):
            return self.ingestor.store.search.suspended()
        return nullcontext()

    def store(
        self, batch: list[Loaded], before: Callable[[Loaded], object] = lambda item: None
    ) -> list[Change]:
        """Store a batch read by `read_next`, in one transaction (on the store's thread),
        calling `before` for each file about to be stored.

        A file whose row changed since this pass read it is left out and added to
        `stale`: storing the older read would undo the newer one.
        """
        keys = [self.ingestor.key(item.path) for item in batch]
        with self.ingestor.store.batch():
            now = self.ingestor.store.files.file_states(keys)
            fresh = []
            for key, item in zip(keys, batch, strict=True):
                if now.get(key) == self.read_from.get(key) and not self.live(item):
                    fresh.append(item)
                else:
                    self.stale.append(item.path)
            for item in fresh:
                before(item)
            return self.ingestor.apply_many(fresh, queue=self.queue)
