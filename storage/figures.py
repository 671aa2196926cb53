"""What `/stats`, `/errors` and `newsbot stats` report."""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database


@dataclass(frozen=True, slots=True)
class IngestError:
    path: str
    reason: str
    at: float


class Figures:
    """Counts over the whole database, and the latest bad article files."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def ingest_errors(self, limit: int = 20) -> list[IngestError]:
        rows = self.db.execute(
            "SELECT path, reason, at FROM ingest_errors ORDER BY at DESC LIMIT ?", [limit]
        )
        return [IngestError(*row) for row in rows]

    def ingest_error_reasons(self) -> list[str]:
        """Why each file that is bad now is bad (a duplicate webUrl included)."""
        return [reason for (reason,) in self.db.execute("SELECT reason FROM ingest_errors")]

    def counts(self) -> dict[str, int]:
        """The figures of `/stats`."""
        one = self.db.execute(
            """SELECT
                (SELECT COUNT(*) FROM articles WHERE visible = 1),
                (SELECT COUNT(*) FROM articles WHERE published = 0 AND present = 1),
                (SELECT COUNT(*) FROM ingest_errors),
                (SELECT COUNT(*) FROM chats WHERE active = 1),
                (SELECT COUNT(*) FROM chats WHERE active = 0),
                (SELECT COUNT(DISTINCT f.chat_id) FROM subscriptions s
                    JOIN feeds f ON f.id = s.feed_id)"""
        ).fetchone()
        names = ["articles", "drafts", "ingest_errors", "chats", "inactive_chats", "subscribers"]
        figures = dict(zip(names, one, strict=True))
        prefix = {"edit": "edits", "retract": "retractions"}
        for kind, state, count in self.db.execute(
            "SELECT kind, state, COUNT(*) FROM deliveries GROUP BY 1, 2"
        ):
            key = f"{prefix.get(kind, 'pushes')}_{state}"
            figures[key] = figures.get(key, 0) + count
        for what in ("pushes", "edits", "retractions"):
            for state in ("pending", "sending", "sent", "failed", "cancelled"):
                figures.setdefault(f"{what}_{state}", 0)
        return figures
