"""Opening the database file: pragmas, migrations, and the one-instance lock."""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from sqlite_utils import Database

from storage.errors import (
    DatabaseFolderUnusable,
    NoDatabase,
    SchemaTooNew,
    StorageError,
    StoreLocked,
    database_busy,
)
from storage.schema import migrations
from storage.store import Store

CACHE_KIB = 32 * 1024
BUSY_TIMEOUT_MS = 5000  # how long a connection waits for another's write lock


class WritingDatabase(Database):
    """A connection whose transactions take the write lock as they begin.

    The running bot writes through two connections (the event loop's, and the watcher's
    writer thread: `bot.articles.writer`). sqlite-utils begins a transaction DEFERRED: its first
    read pins a snapshot, and when the other connection commits before the first write,
    that write fails at once with "database is locked" (SQLITE_BUSY_SNAPSHOT; the busy
    timeout cannot help). BEGIN IMMEDIATE waits for the lock up front instead.
    """

    @contextmanager
    def atomic(self) -> Iterator[Database]:
        if self.conn.in_transaction:  # nested: a savepoint, as sqlite-utils does
            with super().atomic() as db:
                yield db
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.rollback()
            raise
        try:
            self.conn.execute("COMMIT")
        except BaseException:
            self.rollback()
            raise


def open_store(
    path: str | Path,
    *,
    exclusive: bool = False,
    create: bool = True,
    chunk_feeds: int | None = None,
) -> Store:
    """Open (creating unless not `create`, and upgrading) the database; `exclusive` takes
    the one-instance lock. A store that may create the database writes to it: it must be
    writable (DatabaseFolderUnusable, at once), while the read-only verbs' need not.
    `chunk_feeds`: queue an article for this many feeds per transaction (`Queueing`)."""
    path = Path(path)
    if not create and not path.is_file():
        raise NoDatabase(f"no database at {path}")
    _check_folder(path)
    lock = _take_lock(path) if exclusive else None
    try:
        db = WritingDatabase(path)
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _refuse_newer(db, path)
        db.enable_wal()
        db.execute("PRAGMA synchronous = NORMAL")
        # A bound on each connection's page cache, which otherwise fills as the database
        # grows and shows as RSS. At 100,000 articles the indexes that commands walk are
        # 8 MB (listing 3.9, topics 4.2) and the full-text index 15 MB: 32 MiB keeps them,
        # and /search and /latest answered as fast as with 64 MiB, while 16 MiB made
        # /search's p95 slower (bench/README.md). The article rows (450 MB) stay one copy
        # away in the kernel's page cache, shared and reclaimable.
        db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        db.execute("PRAGMA foreign_keys = ON")
        if create:
            _check_writable(db)
        migrations.apply(db)
        store = Store(db, lock, chunk_feeds=chunk_feeds)
        store.search.resume()  # an import killed while it kept the full-text index out
    except (sqlite3.DatabaseError, StorageError) as exc:
        if lock is not None:
            lock.close()
        if isinstance(exc, StorageError):
            raise
        if "unable to open" in str(exc) or "readonly" in str(exc):
            raise DatabaseFolderUnusable(
                f"cannot write the database {path} or the files beside it: {exc}"
            ) from exc
        raise StorageError(f"cannot use the database {path}: {exc}") from exc
    return store


def known_migrations() -> list[str]:
    """The names of this version's migrations, in order."""
    return [migration.name for migration in migrations.pending(Database(memory=True))]


def unknown_migrations(db: Database) -> list[str]:
    """Migrations applied to `db` that this version does not have: a newer one wrote it."""
    known = set(known_migrations())
    return [applied.name for applied in migrations.applied(db) if applied.name not in known]


def _refuse_newer(db: Database, path: Path) -> None:
    # opening would run today's code on tomorrow's tables: refuse before any write
    unknown = unknown_migrations(db)
    if unknown:
        raise SchemaTooNew(
            f"the database {path} was written by a newer newsbot (it has migration "
            f"{', '.join(unknown)}, unknown to this version): run that newsbot, or a "
            "backup made before the upgrade"
        )


def _check_writable(db: Database) -> None:
    """Write the header's user_version unchanged: a database file this user may only read
    (a backup restored as root) opens without complaint and fails at its first write, so
    the verbs that write find out here, at start, before they have done anything."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    db.execute("PRAGMA busy_timeout = 0")
    try:
        db.execute(f"PRAGMA user_version = {int(version)}")
    except sqlite3.OperationalError as error:
        # another process holds the write lock: writable or not cannot be told now, and
        # the writes to come wait for the lock as they always do
        if not database_busy(error):
            raise
    finally:
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


def _check_folder(path: Path) -> None:
    """SQLite in WAL mode writes files beside the database: its folder must take them."""
    folder = path.parent
    if not folder.is_dir():
        raise DatabaseFolderUnusable(f"the folder of the database {path} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise DatabaseFolderUnusable(f"cannot create files in {folder}, the database's folder")


def _take_lock(path: Path) -> IO[str]:
    """An flock beside the database: the kernel drops it when the process dies, even on kill -9."""
    lock_path = path.with_name(path.name + ".lock")
    try:
        handle = open(lock_path, "a+", encoding="utf-8")  # noqa: SIM115
    except OSError as exc:
        raise DatabaseFolderUnusable(f"cannot open {lock_path}: {exc.strerror}") from exc
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise StoreLocked(f"another newsbot ({holder}) is already running on {path}") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}")
    handle.flush()
    return handle
