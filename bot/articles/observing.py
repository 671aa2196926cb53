"""The watchdog observer of the articles folder, for the watcher (`bot.articles.watcher`): started,
stopped, restarted when it dies, and waited for while the folder is missing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from watchdog.observers.api import BaseObserver

from bot.articles.folder_events import FileEvent, start_observer
from bot.articles.reading import printable

log = logging.getLogger("bot.articles.watcher")


class ObservedFolder:
    """The folder's observer thread, which hands each event to `emit`."""

    def __init__(self, root: Path, emit: Callable[[FileEvent], None], *, recursive: bool) -> None:
        self.root = root
        self.emit = emit
        self.recursive = recursive
        self.observer: BaseObserver | None = None
        self.restarts = 0
        self.missing = False

    def start(self, polling_every: float | None) -> None:
        self.observer = start_observer(
            self.root, self.emit, recursive=self.recursive, polling_every=polling_every
        )

    def begin(self, polling_every: float | None) -> None:
        """`start` at start-up: a folder gone since the settings were checked (an unmount
        in between) is waited for as `supervise` waits for one gone later. Looked for
        first: watchdog's inotify observer that fails to start leaves a thread behind."""
        if not self.root.is_dir():
            self.missing = True
            log.error("the articles folder %s is missing; waiting for it", printable(self.root))
            return
        try:
            self.start(polling_every)
        except OSError as error:  # gone in between, or out of inotify watches
            log.error("cannot watch %s: %s; trying again", printable(self.root), error)

    def stop(self) -> None:
        if self.observer is not None:
            self.observer.stop()
            self.observer.join(5)
            self.observer = None

    async def supervise(self, polling_every: float | None) -> bool | None:
        """One look: restart a dead observer; stop it while the folder is missing and
        start it again once the folder is back. True when it was (re)started (events
        were lost: rescan), None while it cannot watch (no scan), False otherwise."""
        if not await asyncio.to_thread(self.root.is_dir):
            if not self.missing:
                self.missing = True
                log.error("the articles folder %s is missing; waiting for it", printable(self.root))
                self.stop()
            return None
        if self.missing:
            self.missing = False
            log.info("the articles folder %s is back; watching it again", printable(self.root))
            self.stop()  # its watch was on the folder that was removed
        elif self.observer is None or not self.observer.is_alive():
            self.restarts += 1
            log.error("the folder watcher stopped; restarting it (restart %d)", self.restarts)
            self.stop()
        if self.observer is not None:
            return False
        try:
            self.start(polling_every)
        except OSError as error:
            log.error("cannot watch %s: %s", printable(self.root), error)
            return None
        return True
