"""Looking after the database file: what it holds, and a consistent copy of it.

Both work beside a running `newsbot run`: neither takes the one-instance lock nor
writes to the database. In WAL mode a reader sees one snapshot and never blocks the
writer, so a backup made in one step of SQLite's online backup API is the database as
it was at one moment, whatever `run` writes meanwhile.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from storage.database import known_migrations, unknown_migrations
from storage.errors import NoDatabase, StorageError
from storage.schema import migrations

# the files SQLite keeps for one database in WAL mode
COMPANION_SUFFIXES = ("", "-wal", "-shm")


@dataclass(frozen=True, slots=True)
class DatabaseStatus:
    """What `newsbot db status` reports."""

    path: Path
    applied: tuple[str, ...]  # migration names, in the order they were applied
    pending: tuple[str, ...]  # known here, applied at the next start
    unknown: tuple[str, ...]  # applied by a newer newsbot
    sizes: tuple[tuple[str, int], ...]  # file name, bytes: the database, its WAL and index
    rows: tuple[tuple[str, int], ...]  # table, row count
    free_pages: int = 0  # pages the file holds that no row uses
    page_size: int = 4096
    incremental: bool = True  # auto-vacuum gives free pages back (migration 0012)


def database_status(path: Path) -> DatabaseStatus:
    """Schema version, file sizes and row counts, read without writing or creating anything."""
    connection = _connect_existing(path)
    try:
        db = Database(connection)
        applied = tuple(migration.name for migration in migrations.applied(db))
        tables = [
            name
            for (name,) in connection.execute(
                # our tables: not SQLite's own, not the search index's shadow tables
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                "AND name NOT LIKE '\\_%' ESCAPE '\\' AND sql NOT LIKE 'CREATE VIRTUAL%' "
                "AND sql NOT LIKE 'CREATE TABLE ''%' ORDER BY name"
            )
        ]
        rows = tuple((table, db.table(table).count) for table in tables)
        unknown = tuple(unknown_migrations(db))
        free, page, vacuum = (
            connection.execute(f"PRAGMA {name}").fetchone()[0]
            for name in ("freelist_count", "page_size", "auto_vacuum")
        )
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"cannot read the database {path}: {exc}") from exc
    finally:
        connection.close()
    sizes = tuple(
        (companion.name, companion.stat().st_size)
        for companion in (path.with_name(path.name + suffix) for suffix in COMPANION_SUFFIXES)
        if companion.exists()
    )
    pending = tuple(name for name in known_migrations() if name not in applied)
    return DatabaseStatus(
        path, applied, pending, unknown, sizes, rows, free, page, incremental=vacuum == 2
    )


def backup_database(path: Path, target: Path) -> int:
    """Copy the database to `target` (replaced whole, never half-written); returns its size."""
    if target.exists() and target.resolve() == path.resolve():
        raise StorageError(f"{target} is the database itself: name another file")
    if target.is_dir():
        raise StorageError(f"cannot back up to {target}: it is a folder; name the file to write")
    partial = target.with_name(f".{target.name}.partial")
    source = _connect_existing(path)
    try:
        _create_private(partial)
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)  # all pages in one step: one snapshot
            copy.execute("PRAGMA journal_mode = DELETE")  # the copy is one self-contained file
            verdict = copy.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            copy.close()
        if verdict != "ok":
            raise StorageError(f"the backup failed its check: {verdict}")
        os.replace(partial, target)
    except (sqlite3.DatabaseError, OSError) as exc:
        raise StorageError(f"cannot back up {path} to {target}: {exc}") from exc
    finally:
        source.close()
        partial.unlink(missing_ok=True)
    return target.stat().st_size


def _create_private(path: Path) -> None:
    """An empty file only its owner may read, for SQLite to fill: the copy holds every
    chat id and setting, whatever the umask (SQLite's journal of it takes its mode)."""
    path.unlink(missing_ok=True)  # one a crashed backup left, with whatever mode it had
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600))


def _connect_existing(path: Path) -> sqlite3.Connection:
    """A connection to an existing database; never creates one where there was none."""
    if not path.is_file():
        raise NoDatabase(f"no database at {path}")
    try:
        connection = sqlite3.connect(path.resolve().as_uri() + "?mode=rw", uri=True)
        connection.execute("PRAGMA busy_timeout = 5000")
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"cannot open the database {path}: {exc}") from exc
    return connection
