"""Per-feed settings (how and when pushes arrive) and required words."""

from __future__ import annotations

from dataclasses import dataclass, fields

from sqlite_utils import Database

FORMATS = ("photo", "text", "compact", "preview")
DIGESTS = ("off", "hourly", "daily")
LANGUAGES = ("en", "de", "es", "ru")


@dataclass(frozen=True, slots=True)
class FeedSettings:
    """How a feed's pushes look and when they go; the defaults are a new feed's."""

    format: str = "photo"
    silent: bool = False
    timezone: str = "UTC"
    quiet_start: int | None = None  # minutes of the day in `timezone`; both or neither
    quiet_end: int | None = None
    digest: str = "off"
    digest_at: int = 0  # minute of the day of a daily digest
    language: str | None = None  # None: from the user's Telegram language
    backlog: int | None = None  # pushes owed at once before a digest; None: the operator's
    # NEWSBOT_BACKLOG_MAX, 0: off (one push each, however many)

    @property
    def plain(self) -> bool:
        """Pushes go one by one, at once."""
        return self.quiet_start is None and self.digest == "off"


COLUMNS = [field.name for field in fields(FeedSettings)]


class Settings:
    """Reads and changes the settings and required words of feeds."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, feed_id: int) -> FeedSettings:
        row = self.db.execute(
            f"SELECT {', '.join(COLUMNS)} FROM feeds WHERE id = ?",  # noqa: S608
            [feed_id],
        ).fetchone()
        return FeedSettings() if row is None else _settings(row)

    def language(self, chat_id: int, thread_id: int) -> str | None:
        """The `language` setting of a chat's (or forum thread's) feed; None when unset or
        when the feed does not exist yet. One read, for every command's answer."""
        row = self.db.execute(
            "SELECT language FROM feeds WHERE chat_id = ? AND thread_id = ?", [chat_id, thread_id]
        ).fetchone()
        return None if row is None else row[0]

    def customised(self) -> dict[int, FeedSettings]:
        """The feeds whose pushes differ from the default (look, sound, time or backlog),
        by id."""
        rows = self.db.execute(
            f"SELECT id, {', '.join(COLUMNS)} FROM feeds "  # noqa: S608
            "WHERE format != 'photo' OR silent = 1 OR quiet_start IS NOT NULL OR digest != 'off' "
            "OR backlog IS NOT NULL"
        )
        return {row[0]: _settings(row[1:]) for row in rows}

    def save(self, feed_id: int, settings: FeedSettings) -> None:
        values = [getattr(settings, name) for name in COLUMNS]
        values[COLUMNS.index("silent")] = int(settings.silent)
        self.db.execute(
            f"UPDATE feeds SET {', '.join(f'{n} = ?' for n in COLUMNS)} WHERE id = ?",  # noqa: S608
            [*values, feed_id],
        )

    def required(self, feed_id: int) -> list[str]:
        return [
            word
            for (word,) in self.db.execute(
                "SELECT word FROM requires WHERE feed_id = ? ORDER BY word", [feed_id]
            )
        ]

    def require(self, feed_id: int, word: str) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO requires (feed_id, word) VALUES (?, ?)",
            [feed_id, word.casefold()],
        )

    def unrequire(self, feed_id: int, word: str) -> bool:
        cursor = self.db.execute(
            "DELETE FROM requires WHERE feed_id = ? AND word = ?", [feed_id, word.casefold()]
        )
        return cursor.rowcount > 0

    def clear_required(self, feed_id: int) -> None:
        self.db.execute("DELETE FROM requires WHERE feed_id = ?", [feed_id])


def _settings(row: tuple[object, ...]) -> FeedSettings:
    values = dict(zip(COLUMNS, row, strict=True))
    values["silent"] = bool(values["silent"])
    return FeedSettings(**values)  # type: ignore[arg-type]
