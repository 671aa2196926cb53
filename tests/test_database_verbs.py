"""`newsbot db status`, `newsbot db backup FILE`, and a database from a newer newsbot."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage import open_store
from storage.database import known_migrations
from tests.commandline import ingested, newsbot


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A database holding three articles, as `newsbot ingest` leaves it."""
    path = tmp_path / "newsbot.db"
    ingested(tmp_path / "articles", path, 3)
    return path


def test_db_status_shows_schema_version_file_sizes_and_row_counts(db: Path) -> None:
    """The schema is the last migration applied; the WAL of an open database is counted."""
    store = open_store(db)  # as a running bot holds it: the WAL file is there
    try:
        store.chats.register(7, "private", None)
        result = newsbot("db", "status", env={"NEWSBOT_DB": str(db)})
    finally:
        store.close()
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    migrations = known_migrations()
    assert lines[0] == f"database   {db}"
    applied = f"{len(migrations)} migrations applied"
    assert lines[1] == f"schema     version {migrations[-1]} ({applied}), up to date"
    assert lines[2].startswith("files      ") and "newsbot.db " in lines[2]
    assert "newsbot.db-wal " in lines[2]
    assert lines[3].startswith("free       0 pages (0 bytes), given back to the file system")
    rows = dict(line.split() for line in lines[lines.index("rows") + 1 :])
    assert rows["articles"] == "3" and rows["files"] == "3" and rows["chats"] == "1"
    assert "articles_fts_data" not in rows and "_sqlite_migrations" not in rows


def test_db_backup_is_a_consistent_copy_while_a_writer_runs(db: Path, tmp_path: Path) -> None:
    """A backup taken while `run` holds the lock and writes is whole and self-consistent."""
    wrote = 0
    stop = threading.Event()
    first_writes = threading.Event()
    failure: list[BaseException] = []

    def writer() -> None:
        nonlocal wrote
        try:
            store = open_store(db, exclusive=True)  # what `newsbot run` holds
            try:
                while not stop.is_set():
                    with store.db.atomic():  # two rows per transaction: a copy has pairs only
                        for half in ("a", "b"):
                            store.db.execute(
                                "INSERT INTO meta (key, value) VALUES (?, ?)",
                                [f"w{wrote}{half}", "x" * 500],
                            )
                    wrote += 1
                    if wrote == 200:
                        first_writes.set()
            finally:
                store.close()
        except BaseException as exc:  # reported by the test below
            failure.append(exc)
            first_writes.set()

    thread = threading.Thread(target=writer, name="test-writer")
    thread.start()
    try:
        assert first_writes.wait(30)
        result = newsbot("db", "backup", str(tmp_path / "copy.db"), env={"NEWSBOT_DB": str(db)})
        written_by_then, deadline = wrote, time.monotonic() + 30
        while wrote < written_by_then + 50 and thread.is_alive():  # the writer goes on
            assert time.monotonic() < deadline, "the writer stopped writing"
            stop.wait(0.01)
    finally:
        stop.set()
        thread.join(30)
    assert not failure, failure
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"backed up {db} to {tmp_path / 'copy.db'} (")
    copy = sqlite3.connect(tmp_path / "copy.db")
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        pairs = copy.execute("SELECT COUNT(*) FROM meta WHERE key LIKE 'w%'").fetchone()[0]
        assert copy.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 3
    finally:
        copy.close()
    assert pairs % 2 == 0 and 400 <= pairs < 2 * wrote
    assert not (tmp_path / ".copy.db.partial").exists()


def test_db_backup_replaces_an_old_copy_and_refuses_to_overwrite_the_database(
    db: Path, tmp_path: Path
) -> None:
    """A nightly backup to one name replaces it; naming the database itself is refused."""
    old = tmp_path / "copy.db"
    old.write_text("yesterday's copy")
    assert newsbot("db", "backup", str(old), env={"NEWSBOT_DB": str(db)}).returncode == 0
    assert sqlite3.connect(old).execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 3
    itself = newsbot("db", "backup", str(db), env={"NEWSBOT_DB": str(db)})
    assert itself.returncode == 1
    assert itself.stderr.strip() == f"newsbot: {db} is the database itself: name another file"


@pytest.fixture
def newer_db(db: Path) -> Iterator[Path]:
    """The database after a newer newsbot applied a migration this one does not know."""
    connection = sqlite3.connect(db)
    with connection:
        connection.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
            "VALUES ('newsbot', '0099_from_the_future', '2027-01-01 00:00:00+00:00')"
        )
    connection.close()
    yield db


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("verb", [("stats",), ("ingest", "articles"), ("run", "--dry-run")])
def test_a_database_from_a_newer_newsbot_is_refused_at_start_with_one_line(
    newer_db: Path, verb: tuple[str, ...]
) -> None:
    """Today's code never runs on tomorrow's tables: one line, exit 2, the file untouched."""
    before = _digest(newer_db)
    result = newsbot(
        *verb,
        env={"NEWSBOT_DB": str(newer_db), "NEWSBOT_ARTICLES_DIR": "articles"},
        cwd=newer_db.parent,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"newsbot: the database {newer_db} was written by a newer newsbot (it has migration "
        "0099_from_the_future, unknown to this version): run that newsbot, or a backup made "
        "before the upgrade"
    ]
    assert _digest(newer_db) == before


def test_db_status_of_a_database_from_a_newer_newsbot_says_so(newer_db: Path) -> None:
    """Status still reads it (to see what happened), and exits 2 as the other verbs would."""
    result = newsbot("db", "status", env={"NEWSBOT_DB": str(newer_db)})
    assert result.returncode == 2
    assert "too new    written by a newer newsbot (0099_from_the_future)" in result.stdout
    assert result.stdout.splitlines()[1].endswith("migrations applied), newer than this newsbot")


def test_db_backup_into_a_folder_is_one_line_and_leaves_nothing_behind(
    db: Path, tmp_path: Path
) -> None:
    """FILE naming an existing folder is refused with the reason, not a traceback."""
    folder = tmp_path / "backups"
    folder.mkdir()
    result = newsbot("db", "backup", str(folder), env={"NEWSBOT_DB": str(db)})
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"newsbot: cannot back up to {folder}: it is a folder; name the file to write"
    ]
    assert list(folder.iterdir()) == [] and not (tmp_path / ".backups.partial").exists()


def test_db_backup_is_readable_by_its_owner_only(db: Path, tmp_path: Path) -> None:
    """The copy holds every chat and setting: it is made with mode 0600 whatever the umask,
    also when it replaces an older copy anyone could read."""
    target = tmp_path / "copy.db"
    target.write_text("yesterday's copy")
    target.chmod(0o644)
    old_umask = os.umask(0o022)
    try:
        result = newsbot("db", "backup", str(target), env={"NEWSBOT_DB": str(db)})
    finally:
        os.umask(old_umask)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
