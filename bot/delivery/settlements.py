"""Row settlements the database refused for a while (disk full, locked by another
process): kept in memory, in order, and written as soon as the database takes them, so
that no reply from Telegram is forgotten and no row goes back to pending out of turn."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable

log = logging.getLogger(__name__)

Write = Callable[[], object]


class Settlements:
    """Writes of row states, in order; `error` says why the database refuses them now."""

    def __init__(self) -> None:
        self._waiting: list[Write] = []
        self.error: str | None = None

    def write(self, write: Write) -> None:
        """Settle now, or after the writes already waiting, when the database takes them."""
        self._waiting.append(write)
        self.flush()

    def flush(self) -> bool:
        """Try the waiting writes in order; True when none is left."""
        while self._waiting:
            try:
                self._waiting[0]()
            except sqlite3.OperationalError as error:
                self.failed(error)
                return False
            self._waiting.pop(0)
        if self.error is not None:
            log.warning("the database takes writes again; delivery goes on")
            self.error = None
        return True

    def failed(self, error: sqlite3.OperationalError) -> None:
        """The database refused a write: say so once per episode, not once a second."""
        if self.error is None:
            log.error("the database refused a write (%s); holding sends and retrying", error)
        # SQLite's own fixed words for the code ("database or disk is full"), no data of
        # anyone's: /healthz may show them
        self.error = str(error)
