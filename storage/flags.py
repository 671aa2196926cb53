"""Switches of the running bot kept in the database: paused pushes, the first baseline."""

from __future__ import annotations

from sqlite_utils import Database


class Flags:
    """Named values in the `meta` table."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )

    @property
    def paused(self) -> bool:
        return self.get_meta("paused") == "1"

    def set_paused(self, paused: bool) -> None:
        self.set_meta("paused", "1" if paused else "0")

    @property
    def baseline_done(self) -> bool:
        """False until the first start has taken the folder's files as its baseline."""
        return self.get_meta("baseline_done") == "1"

    def mark_baseline_done(self) -> None:
        self.set_meta("baseline_done", "1")
