"""The observer thread's side of watching: watchdog events turned into `FileEvent` values.

Handlers run on watchdog's thread, where an exception would silently end the observer
and nothing of asyncio or PTB may be touched: they only build a value and hand it to
`emit` (the watcher passes one that calls `loop.call_soon_threadsafe`).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FileEvent:
    """Something happened to `path`; `settled` when its writer is done with it."""

    path: Path
    settled: bool
    seen_at: float


class FolderEvents(FileSystemEventHandler):
    """Runs on the observer thread: turns events into FileEvents for the loop."""

    def __init__(self, emit: Callable[[FileEvent], None]) -> None:
        self.emit = emit

    def dispatch(self, event: FileSystemEvent) -> None:
        try:
            if event.is_directory:
                return
            now = time.monotonic()
            kind = event.event_type
            if kind == "moved":
                self.emit(FileEvent(_path(event.src_path), True, now))
                self.emit(FileEvent(_path(event.dest_path), True, now))
            elif kind in ("closed", "deleted"):
                self.emit(FileEvent(_path(event.src_path), True, now))
            elif kind in ("created", "modified"):
                self.emit(FileEvent(_path(event.src_path), False, now))
        except Exception:  # the top of the observer thread: an escape would end watching
            log.exception("watcher could not hand over %r", event)


def _path(raw: bytes | str) -> Path:
    return Path(os.fsdecode(raw))


def start_observer(
    root: Path,
    emit: Callable[[FileEvent], None],
    *,
    recursive: bool,
    polling_every: float | None,
) -> BaseObserver:
    """A running observer of `root` (inotify, or polling every `polling_every` s)."""
    observer = PollingObserver(timeout=polling_every) if polling_every is not None else Observer()
    observer.schedule(FolderEvents(emit), str(root), recursive=recursive)
    observer.daemon = True
    observer.start()
    return observer
