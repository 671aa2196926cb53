"""The full-text index of article titles and excerpts, out of the way of a bulk import.

Triggers keep `articles_fts` in step with `articles`, one index update per row: on a
first import of 100,000 files that was a third of the writer's time, while one
`rebuild` after the import costs a few seconds. `suspended()` drops the triggers for the
import and puts them back with one rebuild after. Their SQL waits in the `meta` table
meanwhile, in the transaction that drops them, so the index of a killed import is
repaired by `resume()`, which `open_store` calls: the next process to open the database
puts the triggers back and rebuilds (an import still running then goes on with them).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

from sqlite_utils import Database

SUSPENDED = "suspended_search_triggers"  # the meta key holding their SQL


class Search:
    """Suspends and resumes the triggers that keep the full-text index in step."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @contextmanager
    def suspended(self) -> Iterator[None]:
        """No index updates inside; the index is rebuilt once on the way out."""
        self.suspend()
        try:
            yield
        finally:
            self.resume()

    def suspend(self) -> None:
        """Drop the index triggers, keeping their SQL for `resume`."""
        with self.db.atomic():
            if self._saved() is not None:
                return  # suspended already (a killed import): resume() rebuilds it all
            triggers = self.db.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'articles' AND sql LIKE '%articles_fts%'"
            ).fetchall()
            self._save(json.dumps([sql for _, sql in triggers]))
            for name, _ in triggers:
                self.db.execute(f'DROP TRIGGER "{name}"')

    def resume(self) -> None:
        """Put back suspended triggers and rebuild the index; nothing when none are."""
        saved = self._saved()
        if saved is None:
            return
        with self.db.atomic():
            for sql in json.loads(saved):
                self.db.execute(sql)
            self.db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('rebuild')")
            self.db.execute("DELETE FROM meta WHERE key = ?", [SUSPENDED])

    def _saved(self) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", [SUSPENDED]).fetchone()
        return None if row is None else str(row[0])

    def _save(self, value: str) -> None:
        self.db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", [SUSPENDED, value])
