"""From an article file on disk to a stored article: the step between watcher and storage.

`load` reads and parses (safe in a worker thread); `apply` stores the result on the
store's own thread. Whether storing queues pushes is the caller's word: the live bot
queues, while the first start's baseline and `newsbot ingest` never do, so importing
a folder of old files cannot flood anyone.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.errors import ArticleError
from bot.parsing import file_signature, is_ignored_name, parse_article_bytes, read_article_file
from storage import Article, Store
from storage.store import Change, FileState

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Loaded:
    """One file read and parsed: an article, or the reason it is unusable."""

    path: Path
    state: FileState | None
    article: Article | None = None
    error: str | None = None
    # an error that more writing cannot cure (too large, a link out of the folder)
    final: bool = False


@dataclass(frozen=True, slots=True)
class Scan:
    """A folder compared with the database: files to read, files gone, files seen."""

    changed: list[Path]
    gone: list[Path]
    total: int


class Ingestor:
    """Reads files of one folder and stores what they say."""

    def __init__(self, store: Store, root: Path, *, max_bytes: int, recursive: bool = False):
        self.store = store
        self.root = root
        self.max_bytes = max_bytes
        self.recursive = recursive

    def key(self, path: Path) -> str:
        """The name a file is stored under: its path relative to the folder."""
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
        try:
            raw = read_article_file(path, self.root, self.max_bytes)
        except ArticleError as error:
            signature = file_signature(path)
            state = FileState(signature[0], signature[1], "") if signature else None
            return Loaded(path, state, error=str(error), final=True)
        state = FileState(raw.size, raw.mtime_ns, raw.hash)
        if known_hash == raw.hash:
            return Loaded(path, state)  # same bytes: nothing to parse
        try:
            return Loaded(path, state, article=parse_article_bytes(raw.data))
        except ArticleError as error:
            return Loaded(path, state, error=str(error))

    def known_hash(self, path: Path) -> str | None:
        state = self.store.file_state(self.key(path))
        return None if state is None else state.hash

    def apply(self, loaded: Loaded, *, queue: bool) -> Change:
        """Store what `load` found; a bad file is logged once and listed for admins."""
        key = self.key(loaded.path)
        if loaded.error is not None:
            log.warning("skipped article file %s: %s", key, loaded.error)
            return self.store.record_error(key, loaded.state, loaded.error)
        assert loaded.state is not None
        if loaded.article is None:
            self.store.touch_file(key, loaded.state)
            return Change("unchanged")
        change = self.store.store_article(key, loaded.state, loaded.article, queue=queue)
        if change.kind == "duplicate":
            log.warning(
                "skipped article file %s: same webUrl as %s, which stays the article",
                key,
                change.other_path,
            )
        return change

    def remove(self, path: Path) -> tuple[Change, list[Path]]:
        """A file vanished; returns the change and files that may now hold its article."""
        change, others = self.store.remove_file(self.key(path))
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
        """Every article file of the folder with its size and mtime."""
        folders = [self.root]
        while folders:
            folder = folders.pop()
            try:
                entries = list(os.scandir(folder))
            except OSError as error:
                log.error("cannot list %s: %s", folder, error.strerror)
                continue
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
                    continue  # vanished while we looked
                yield Path(entry.path), info.st_size, info.st_mtime_ns
