"""Whether an article file that does not parse is probably still being written.

A writer that creates a file and fills it in several writes shows the watcher a file that
does not parse yet. Such a file is read again when it settles, and nothing is recorded
for it, while a writer has it open (created or modified, no close-after-write event yet)
or it changed within two settle times (the polling observer has no close events), for at
most PATIENCE_SECONDS. After that, it is a bad file like any other.
"""

from __future__ import annotations

import time
from pathlib import Path

from bot.articles.ingest import Loaded

PATIENCE_SECONDS = 30.0  # how long a file that is open for writing may stay unparseable


class HalfWritten:
    """The files open for writing, and since when each has failed to parse."""

    def __init__(self, settle: float) -> None:
        self.settle = settle
        self._open: set[Path] = set()  # created/modified and not yet closed
        self._failing_since: dict[Path, float] = {}

    def opened(self, path: Path) -> None:
        """An event says a writer may still have the file open."""
        self._open.add(path)

    def closed(self, path: Path) -> None:
        """An event says its writer is done (close-after-write, a rename, a deletion)."""
        self._open.discard(path)

    def parsed(self, path: Path) -> None:
        """The file was read to an end (stored, or a bad file for good)."""
        self._failing_since.pop(path, None)

    def forget(self, path: Path) -> None:
        """The file is gone."""
        self._failing_since.pop(path, None)
        self._open.discard(path)

    def still_written(self, loaded: Loaded) -> bool:
        """Whether an unparseable file is probably still being written."""
        if loaded.state is None or loaded.final:
            return False
        now = time.monotonic()
        since = self._failing_since.setdefault(loaded.path, now)
        if now - since > PATIENCE_SECONDS:
            return False
        age = time.time() - loaded.state.mtime_ns / 1e9
        return loaded.path in self._open or age < 2 * self.settle
