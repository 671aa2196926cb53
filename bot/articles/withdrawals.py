"""Files gone from the folder, not yet withdrawn: a grace period, and a hold on mass loss.

A folder under rsync, a git checkout or a sync client loses files for seconds and gets
them back; withdrawing at once deleted their messages in every chat, and the file's return
pushed them again. So a file that goes is withdrawn only once it has stayed away for
`grace` seconds (NEWSBOT_WITHDRAW_GRACE, 60); one back within it changes nothing.

When more than `most` files (NEWSBOT_MAX_WITHDRAWALS, 20) go within one grace window (an
unmounted share, a half-synced folder), none of them is withdrawn: all are held, with one
warning, until they come back or an admin releases them (`/release`, `newsbot release`).
Files that go while some are held are held too.

Bookkeeping over an injected clock: the watcher tells what goes and comes back, and
`withdraw` removes what `due` and `release` hand it once it has looked that each is still
gone. A file that comes back under another name (a rename, `git mv`) while the old one
waits takes the article over at once (`take_over`): nothing is withdrawn or pushed again.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path

from bot.articles.ingest import Ingestor, Loaded
from bot.articles.reconcile import Reconciliation
from bot.articles.writer import StoreWriter
from storage import Store
from storage.store import Change, FileState

log = logging.getLogger("bot.articles.watcher")

Remove = Callable[[Path], Awaitable[None]]

# what `newsbot release` leaves in the database for the running bot (or its next start)
RELEASE_ASKED = "withdrawals_released"


class Withdrawals:
    """Which files are gone since when, which are due, and whether all are held."""

    def __init__(self, clock: Callable[[], float], *, grace: float, most: int) -> None:
        self.clock = clock
        self.grace = grace
        self.most = most
        self._gone: dict[Path, float] = {}  # file -> when it was first seen gone
        self._withdrawing = 0  # files handed to `withdraw`, not yet removed
        self.holding = False
        self._remove: Remove | None = None
        self._released: Callable[[], Awaitable[bool]] | None = None

    def attach(self, remove: Remove, released: Callable[[], Awaitable[bool]]) -> None:
        """How the watcher withdraws a file, and asks whether `newsbot release` was run."""
        self._remove, self._released = remove, released

    def gone(self, path: Path) -> None:
        """`path` is not in the folder (an event, or a scan): its grace starts now, unless
        it started before."""
        now = self.clock()
        self._gone.setdefault(path, now)
        if self.holding:
            return
        recent = sum(1 for since in self._gone.values() if since > now - self.grace)
        if recent > self.most:
            self.holding = True
            log.warning(
                "%d article files went within %g s, more than NEWSBOT_MAX_WITHDRAWALS (%d): "
                "none is withdrawn until they come back or an admin releases them "
                "(/release, newsbot release)",
                recent,
                self.grace,
                self.most,
            )

    async def went(self, path: Path, *, known: bool, root: Path) -> None:
        """The folder lost `path` (an event): its grace starts, unless it was never stored
        (a temp file) or the whole folder went (an unmount: its rescan decides)."""
        if known and await asyncio.to_thread(root.is_dir):
            self.gone(path)

    def back(self, path: Path | None) -> None:
        """`path` is in the folder again (or taken over): nothing of it is withdrawn."""
        if path is None:
            return
        if self._gone.pop(path, None) is not None and self.holding and not self._gone:
            self.holding = False
            log.info("the article files held came back; nothing was withdrawn")

    def scanned(self, gone: Iterable[Path], listed_at: float) -> None:
        """A scan that began listing the folder at `listed_at` (this clock) found the known
        files `gone` missing: any other file waiting here since before then is back."""
        missing = set(gone)
        back = [p for p, since in self._gone.items() if p not in missing and since < listed_at]
        for path in back:
            self.back(path)
        for path in missing:
            self.gone(path)

    def due(self) -> list[Path]:
        """The files gone for the grace period, to withdraw now (forgotten here); none
        while files are held."""
        if self.holding:
            return []
        deadline = self.clock() - self.grace
        due = [path for path, since in self._gone.items() if since <= deadline]
        for path in due:
            del self._gone[path]
        return due

    def release(self) -> list[Path]:
        """An admin's word: every file waiting here is to be withdrawn now."""
        released = list(self._gone)
        self._gone.clear()
        if self.holding:
            log.warning("%d held article files released by an admin", len(released))
        self.holding = False
        return released

    def waiting_keys(self, key: Callable[[Path], str]) -> frozenset[str]:
        """The stored names (`key`) of the files waiting here."""
        return frozenset(key(path) for path in self._gone)

    async def withdraw(self, paths: list[Path]) -> int:
        """Withdraw each of `paths` still gone (one back after all is left alone); how many."""
        assert self._remove is not None, "attach() first"
        count = 0
        left = len(paths)
        self._withdrawing += left
        try:
            for path in paths:
                if not await asyncio.to_thread(os.path.lexists, path):
                    await self._remove(path)
                    count += 1
                left -= 1
                self._withdrawing -= 1
        finally:
            self._withdrawing -= left
        return count

    async def release_now(self) -> int:
        """An admin's word (/release): the files gone, held or not, are withdrawn now."""
        return await self.withdraw(self.release())

    async def withdraw_due(self, root: Path) -> None:
        """Withdraw the files gone for the grace period, and all of them when `newsbot
        release` asked; nothing while the folder itself is gone."""
        if not await asyncio.to_thread(root.is_dir):
            return
        await self.withdraw(self.due())
        if self._released is not None and await self._released():
            await self.release_now()

    def held(self) -> int:
        """How many files are held (0 unless holding)."""
        return len(self._gone) if self.holding else 0

    def waiting(self) -> int:
        """How many files are gone and not yet withdrawn: held, in their grace, or being
        withdrawn now."""
        return len(self._gone) + self._withdrawing

    def problems(self) -> list[str]:
        """For /healthz: the files held, and how to release them."""
        if not self.holding:
            return []
        return [
            f"{len(self._gone)} article files gone are held, not withdrawn: more than "
            f"{self.most} went within {self.grace:g} s (an admin releases them with /release "
            "or newsbot release)"
        ]


def store_loaded(
    ingestor: Ingestor,
    loaded: Loaded,
    before: FileState | None,
    gone: frozenset[str],
    queue: bool,
    store: Store,
) -> tuple[Change, Path | None] | None:
    """The writer's job for a file the watcher read: None when its row changed since the
    read (a scan stored it meanwhile: read it again); else what storing it did, and the
    file gone that it took the article over from (`take_over`)."""
    ingestor = ingestor.on(store)
    if ingestor.file_state(loaded.path) != before:
        return None
    moved = take_over(ingestor, loaded, gone)
    return ingestor.apply(loaded, queue=queue), moved


def store_scanned(
    reconciliation: Reconciliation, batch: list[Loaded], gone: frozenset[str], _: Store
) -> tuple[list[Change], list[Path]]:
    """The writer's job for part of a scan's batch (the reconciliation's store is the
    writer's): a file that holds the article of one waiting to be withdrawn takes it over
    (a rename only a scan saw). What storing did, and the files taken over."""
    moved: list[Path | None] = []
    changes = reconciliation.store(
        batch, lambda item: moved.append(take_over(reconciliation.ingestor, item, gone))
    )
    return changes, [path for path in moved if path is not None]


def take_over(ingestor: Ingestor, loaded: Loaded, gone: frozenset[str]) -> Path | None:
    """On the writer's thread, before `loaded` is stored: when the article it brings is held
    by a file waiting to be withdrawn (`gone`) and still away, that file moved here: it is
    forgotten in the same transaction and the article left as it is, so `loaded` holds it
    from then on (an edit, if it changed): nothing is withdrawn, retracted or pushed again,
    though it was never pushed (a baseline). The moved file, or None."""
    if not gone or loaded.row is None:
        return None
    holder = ingestor.store.listing.path_of(loaded.row.url)
    if holder is None or holder not in gone or holder == ingestor.key(loaded.path):
        return None
    moved = ingestor.root / holder
    if os.path.lexists(moved):
        return None  # back after all: it stays the article, and this file a duplicate
    if not ingestor.store.files.forget_moved(holder, loaded.row.url):
        return None  # that file holds another article now: it is withdrawn in its turn
    return moved


async def release_asked(store: Store, writer: StoreWriter) -> bool:
    """Whether `newsbot release` left its mark in the database (taken away here)."""
    if not store.flags.get_meta(RELEASE_ASKED):
        return False
    await writer.run(lambda writing: writing.flags.set_meta(RELEASE_ASKED, ""))
    return True
