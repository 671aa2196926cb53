"""From an article file on disk to a stored article: the step between watcher and storage.

`load` reads and parses (safe in a worker thread); `apply` stores the result on the
store's own thread. Whether storing queues pushes is the caller's word: the live bot
queues, while the first start's baseline and `newsbot ingest` never do, so importing
a folder of old files cannot flood anyone.
"""

from __future__ import annotations

import copy
import logging
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.articles.parsing import parse_article_bytes
from bot.articles.permalinks import Site, place_of
from bot.articles.publishing import WITHOUT_FOLLOWING, Publishing
from bot.articles.reading import (
    file_signature,
    is_ignored_name,
    link_signature,
    printable,
    read_article_file,
)
from bot.foundation.errors import ArticleError, FolderUnreadable
from storage import Store
from storage.rows import ArticleRow
from storage.store import Change, FileState

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Loaded:
    """One file read and parsed: an article (as its row), or the reason it is unusable."""

    path: Path
    state: FileState | None
    # the article as the database stores it, made where it was parsed (maybe a worker)
    row: ArticleRow | None = None
    error: str | None = None
    # an error that more writing cannot cure (too large, a link out of the folder)
    final: bool = False
    # what parsing left out of the article (topics past the cap), logged when stored
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Scan:
    """A folder compared with the database: files to read, files gone, files seen."""

    changed: list[Path]
    gone: list[Path]
    total: int


LOAD_BATCH = 250
# a bulk import's batches, read by worker processes and stored one transaction each: a
# transaction rewrites every index page it touched (in the WAL, then the database), and
# `sort_at` puts each article on a page of its own of `articles_recent`, so larger
# transactions write fewer pages a file
BULK_BATCH = 1000


def load_file(
    path: Path, root: Path, max_bytes: int, known_hash: str | None, site: Site | None = None
) -> Loaded:
    """Read and parse one file; a bad file becomes a Loaded with the reason."""
    try:
        raw = read_article_file(path, root, max_bytes)
    except ArticleError as error:
        signature = file_signature(path)
        state = FileState(signature[0], signature[1], "") if signature else None
        return Loaded(path, state, error=str(error), final=True)
    state = FileState(raw.size, raw.mtime_ns, raw.hash)
    if known_hash == raw.hash:
        return Loaded(path, state)  # same bytes: nothing to parse
    notes: list[str] = []
    try:
        article = parse_article_bytes(raw.data, notes, place=place_of(path, root, site or Site()))
    except ArticleError as error:
        return Loaded(path, state, error=str(error))
    return Loaded(path, state, row=ArticleRow.of(article), note="; ".join(notes) or None)


Wire = tuple[
    int | None, int | None, str | None, str | None, bool, tuple[Any, ...] | None, str | None
]


def load_batch(
    root: Path, max_bytes: int, batch: list[tuple[Path, str | None]], site: Site | None = None
) -> list[Wire]:
    """`load_file` over a batch, in a worker process.

    The results travel back as plain tuples with the article as its row's fields, in
    the batch's order and without their paths (the caller has them): unpickling
    dataclasses or paths, or rebuilding the article from its JSON, cost the process that
    writes SQLite more than making the row from a tuple.
    """
    wired: list[Wire] = []
    for path, known in batch:
        loaded = load_file(path, root, max_bytes, known, site)
        state = loaded.state
        wired.append(
            (
                state.size if state else None,
                state.mtime_ns if state else None,
                state.hash if state else None,
                loaded.error,
                loaded.final,
                loaded.row.wire() if loaded.row else None,
                loaded.note,
            )
        )
    return wired


def unwire(path: Path, wire: Wire) -> Loaded:
    size, mtime_ns, digest, error, final, fields, note = wire
    state = (
        FileState(size, mtime_ns, digest or "")
        if size is not None and mtime_ns is not None
        else None
    )
    return Loaded(path, state, ArticleRow(*fields) if fields else None, error, final, note)


def _unwired(paths: list[Path], loading: Future[list[Wire]]) -> list[Loaded]:
    return [unwire(path, wire) for path, wire in zip(paths, loading.result(), strict=True)]


def _hash(state: FileState | None) -> str | None:
    return None if state is None else state.hash


class Ingestor:
    """Reads files of one folder and stores what they say."""

    def __init__(
        self,
        store: Store,
        root: Path,
        *,
        max_bytes: int,
        recursive: bool,
        publishing: Publishing = WITHOUT_FOLLOWING,
        announce: bool = False,
        site: Site | None = None,
    ) -> None:
        self.store = store
        self.publishing = publishing  # what storing does to the outbox
        self.site = site or Site()  # the site the folder's posts belong to (their links)
        self.root = root
        self.max_bytes = max_bytes
        self.recursive = recursive
        self.announce = announce  # an INFO line per article stored (the bot; not `ingest`)
        self._prefix = str(root).rstrip("/") + "/"

    def on(self, store: Store) -> Ingestor:
        """The same reader of the same folder, storing through another connection."""
        other = copy.copy(self)
        other.store = store
        return other

    def key(self, path: Path) -> str:
        """The name a file is stored under: its path relative to the folder."""
        text = str(path)
        if text.startswith(self._prefix):  # as relative_to says, a few times faster
            return text[len(self._prefix) :]
        return path.relative_to(self.root).as_posix()

    def wants(self, path: Path) -> bool:
        """Whether a path is an article file of this folder (not hidden, swap or backup)."""
        try:
            relative = path.relative_to(self.root)
        except ValueError:
            return False
        if not self.recursive and len(relative.parts) != 1:
            return False
        return bool(relative.parts) and not any(is_ignored_name(part) for part in relative.parts)

    def load(self, path: Path, known_hash: str | None) -> Loaded:
        """Read and parse a file (any thread: no database); never raises for a bad file."""
        return load_file(path, self.root, self.max_bytes, known_hash, self.site)

    def load_if_there(self, path: Path, known_hash: str | None) -> Loaded | None:
        """`load`, or None when nothing is at `path` (any thread)."""
        return self.load(path, known_hash) if os.path.lexists(path) else None

    def load_many(
        self, paths: list[Path], known: dict[str, FileState], workers: int
    ) -> Iterator[list[Loaded]]:
        """Load files in batches, in order; with `workers` > 1 in that many processes.

        At most two batches per worker are under way at once, so memory stays flat
        however many files there are.
        """
        size = LOAD_BATCH if workers <= 1 else BULK_BATCH
        batches = [
            [(path, _hash(known.get(self.key(path)))) for path in paths[i : i + size]]
            for i in range(0, len(paths), size)
        ]
        if workers <= 1 or len(batches) < 2:
            for batch in batches:
                yield [
                    load_file(path, self.root, self.max_bytes, known, self.site)
                    for path, known in batch
                ]
            return
        with ProcessPoolExecutor(workers) as pool:
            under_way: deque[tuple[list[Path], Future[list[Wire]]]] = deque()
            for batch in batches:
                submitted = pool.submit(load_batch, self.root, self.max_bytes, batch, self.site)
                under_way.append(([path for path, _ in batch], submitted))
                if len(under_way) >= 2 * workers:
                    yield _unwired(*under_way.popleft())
            while under_way:
                yield _unwired(*under_way.popleft())

    def file_state(self, path: Path) -> FileState | None:
        """What the database last stored of a file: size, mtime and hash."""
        return self.store.files.file_state(self.key(path))

    def apply(self, loaded: Loaded, *, queue: bool) -> Change:
        """Store what `load` found; a bad file is logged once and listed for admins."""
        key = self.key(loaded.path)
        if loaded.error is not None:
            log.warning("skipped article file %s: %s", printable(key), loaded.error)
            return self.store.files.record_error(key, loaded.state, loaded.error)
        assert loaded.state is not None
        if loaded.row is None:
            self.store.files.touch_file(key, loaded.state)
            return Change("unchanged")
        change = self.publishing.store_article(
            self.store,
            key,
            loaded.state,
            loaded.row.article(),
            queue=queue,
            data_json=loaded.row.data,
        )
        self._log_change(key, change, loaded.note)
        return change

    def _log_change(self, key: str, change: Change, note: str | None = None) -> None:
        if note is not None:  # once per version of the file: a file unchanged is not parsed
            log.warning("article file %s: %s", printable(key), note)
        if self.announce and (line := describe_change(key, change)):
            log.info("%s", line)
        if change.kind == "duplicate":
            log.warning(
                "skipped article file %s: same webUrl as %s, which stays the article",
                printable(key),
                printable(change.other_path or ""),
            )

    def apply_many(self, batch: list[Loaded], *, queue: bool) -> list[Change]:
        """`apply` for a batch of files, storing its articles together (not in order)."""
        articles: list[tuple[str, FileState, ArticleRow]] = []
        notes: list[str | None] = []
        others: list[Loaded] = []
        for item in batch:
            if item.row is not None and item.state is not None:
                articles.append((self.key(item.path), item.state, item.row))
                notes.append(item.note)
            else:
                others.append(item)
        stored = self.publishing.store_articles(self.store, articles, queue=queue)
        for (key, *_), change, note in zip(articles, stored, notes, strict=True):
            self._log_change(key, change, note)
        return stored + [self.apply(item, queue=queue) for item in others]

    def remove(self, path: Path) -> tuple[Change, list[Path]]:
        """A file vanished; returns the change and files that may now hold its article."""
        change, others = self.publishing.remove_file(self.store, self.key(path))
        self._log_change(self.key(path), change)
        return change, [self.root / other for other in others]

    def scan(self, known: dict[str, FileState]) -> Scan:
        """Compare the folder with `known` (the database's files) by size and mtime.

        Returns the files to (re)read and the known files that are gone. Only what
        changed is read later, so a scan of an unchanged folder reads no file. Touches
        no database, so it can run in a worker thread.
        """
        known = dict(known)
        changed = []
        total = 0
        for path, size, mtime_ns in self.walk():
            total += 1
            state = known.pop(self.key(path), None)
            if state is None or state.size != size or state.mtime_ns != mtime_ns:
                changed.append(path)
        return Scan(changed, [self.root / key for key in known], total)

    def walk(self) -> Iterator[tuple[Path, int, int]]:
        """Every article file with its size and mtime (FolderUnreadable: one not listed)."""
        folders = [self.root]
        while folders:
            folder = folders.pop()
            try:
                entries = list(os.scandir(folder))
            except FileNotFoundError:
                if folder == self.root:
                    raise FolderUnreadable(f"cannot list {printable(folder)}: it is gone") from None
                continue  # a subfolder removed while we looked: its files are gone too
            except OSError as error:
                # listed as empty, every file in it would be forgotten (and each push of
                # them retracted): nothing is compared until it can be listed again
                raise FolderUnreadable(
                    f"cannot list {printable(folder)}: {error.strerror}"
                ) from None
            for entry in entries:
                if is_ignored_name(entry.name):
                    continue
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if self.recursive:
                            folders.append(Path(entry.path))
                        continue
                    info = entry.stat()
                except OSError:
                    if (link := link_signature(entry)) is None:
                        continue  # vanished while we looked
                    info = link
                yield Path(entry.path), info.st_size, info.st_mtime_ns


def describe_change(key: str, change: Change) -> str | None:
    """The log line for an article file stored (bad ones and duplicates warn elsewhere)."""
    if change.article_id is None:
        return None
    article = f"article {change.article_id} ({printable(key)})"
    queued = f"; pushes queued for {change.queued} feeds" if change.queued else ""
    cancelled = f"; {change.cancelled} pushes cancelled" if change.cancelled else ""
    lines = {
        "new": f"new {article}{queued}",
        "published": f"published {article}{queued}",
        "edited": f"edited {article}",
        "unpublished": f"withdrawn {article}: unpublished{cancelled}",
        "removed": f"removed {article}: the file is gone{cancelled}",
    }
    return lines.get(change.kind)
