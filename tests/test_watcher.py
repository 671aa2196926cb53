"""The watcher's edges: watchdog events as values, files that are not files, and a scan
racing a live event."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from watchdog.events import (
    DirCreatedEvent,
    DirModifiedEvent,
    FileAttribEvent,
    FileClosedEvent,
    FileClosedNoWriteEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileOpenedEvent,
    FileSystemEvent,
)

from bot.articles.folder_events import FileEvent, FolderEvents
from bot.articles.ingest import Ingestor, Loaded
from bot.articles.watcher import Watcher
from storage import Store
from storage.store import Change, FileState
from tests.articles import write_article
from tests.conftest import eventually, write_lock
from tests.feeds import follow
from tests.watching import unwatch, watch

CHAT = 77


def handed_over(event: FileSystemEvent) -> list[tuple[str, bool]]:
    """What the handler gives the loop for one watchdog event: (path, settled) pairs."""
    emitted: list[FileEvent] = []
    FolderEvents(emitted.append).dispatch(event)
    return [(str(e.path), e.settled) for e in emitted]


def test_created_and_modified_files_wait_to_settle() -> None:
    """A file still being written is read only once it has been quiet."""
    assert handed_over(FileCreatedEvent("/a/x.txt")) == [("/a/x.txt", False)]
    assert handed_over(FileModifiedEvent("/a/x.txt")) == [("/a/x.txt", False)]


def test_closed_after_writing_and_deleted_files_are_settled() -> None:
    assert handed_over(FileClosedEvent("/a/x.txt")) == [("/a/x.txt", True)]
    assert handed_over(FileDeletedEvent("/a/x.txt")) == [("/a/x.txt", True)]


def test_a_rename_settles_both_the_old_and_the_new_name() -> None:
    """The old name is gone (or replaced) and the new one is complete, in that order."""
    moved = FileMovedEvent("/a/.x.txt.tmp", "/a/x.txt")
    assert handed_over(moved) == [("/a/.x.txt.tmp", True), ("/a/x.txt", True)]


@pytest.mark.parametrize(
    "event",
    [
        DirCreatedEvent("/a/sub"),
        DirModifiedEvent("/a"),
        FileOpenedEvent("/a/x.txt"),
        FileClosedNoWriteEvent("/a/x.txt"),
        FileAttribEvent("/a/x.txt"),
    ],
    ids=lambda event: type(event).__name__,
)
def test_directories_reads_and_attribute_changes_are_not_handed_over(
    event: FileSystemEvent,
) -> None:
    """Only a change to a file's bytes or name can change an article."""
    assert handed_over(event) == []


def test_byte_paths_are_decoded() -> None:
    assert handed_over(FileClosedEvent(os.fsencode("/a/caf\xe9.txt"))) == [("/a/caf\xe9.txt", True)]


def test_a_failing_hand_over_is_logged_and_the_observer_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The observer thread must survive a loop that refuses the event (closed at shutdown)."""

    def refuse(event: FileEvent) -> None:
        raise RuntimeError("Event loop is closed")

    FolderEvents(refuse).dispatch(FileClosedEvent("/a/x.txt"))
    assert "watcher could not hand over" in caplog.text


@contextlib.contextmanager
def named_pipe(path: Path) -> Iterator[Path]:
    """A FIFO at `path`; afterwards, any reader still blocked on it is let go."""
    os.mkfifo(path)
    try:
        yield path
    finally:
        with contextlib.suppress(OSError):  # ENXIO: nobody is waiting to read it
            os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))


async def test_named_pipe_at_start_up_is_a_bad_file_and_the_rest_is_read(
    store: Store, articles: Path
) -> None:
    """The start-up scan lists a FIFO with its reason instead of blocking on it."""
    store.flags.mark_baseline_done()
    write_article(articles / "good.txt")
    with named_pipe(articles / "pipe.txt"):
        _, changes, task = await watch(store, articles)
        await unwatch(task)
    assert sorted(c.kind for c in changes) == ["error", "new"]
    [error] = store.figures.ingest_errors()
    assert (error.path, error.reason) == ("pipe.txt", "not a regular file (a named pipe)")


async def test_named_pipe_made_while_watching_is_a_bad_file_and_watching_goes_on(
    store: Store, articles: Path
) -> None:
    store.flags.mark_baseline_done()
    _, changes, task = await watch(store, articles)
    try:
        with named_pipe(articles / "pipe.txt"):
            await eventually(lambda: bool(store.figures.ingest_errors()))
            write_article(articles / "after.txt")
            await eventually(lambda: any(c.kind == "new" for c in changes))
    finally:
        await unwatch(task)
    assert [e.reason for e in store.figures.ingest_errors()] == [
        "not a regular file (a named pipe)"
    ]


class PausingIngestor(Ingestor):
    """The real Ingestor, with a hook run after a scan read a batch and before it is stored."""

    between: Callable[[], None] | None = None

    def load_many(
        self, paths: list[Path], known: dict[str, FileState], workers: int
    ) -> Iterator[list[Loaded]]:
        for batch in super().load_many(paths, known, workers):
            hook, self.between = self.between, None
            if hook is not None:
                hook()  # runs in the scan's worker thread; the loop goes on meanwhile
            yield batch


async def test_scan_does_not_undo_a_newer_version_stored_live(store: Store, articles: Path) -> None:
    """A scan that read a file before a live event stored a newer version reads it again."""
    store.flags.mark_baseline_done()
    follow(store, CHAT, ["AI"])
    ingestor = PausingIngestor(store, articles.resolve(), max_bytes=4096, recursive=False)
    published = threading.Event()

    def note(change: Change) -> None:
        if change.kind == "published":
            published.set()

    watcher, changes, task = await watch(store, articles, ingestor=ingestor, on_change=note)
    try:
        path = write_article(articles / "a.txt", published=False)
        await eventually(lambda: [c.kind for c in changes] == ["new"])
        # an event the watcher missed: the row no longer matches the file, so a scan reads it
        store.db.execute("UPDATE files SET mtime_ns = 1, hash = 'missed' WHERE path = 'a.txt'")

        def publish_while_the_scan_holds_the_draft() -> None:
            write_article(path, published=True)
            assert published.wait(10), "the live event was not stored"

        ingestor.between = publish_while_the_scan_holds_the_draft
        await watcher.scan()
        await eventually(lambda: watcher.pending() == 0 and len(changes) >= 3)
    finally:
        await unwatch(task)
    assert [c.kind for c in changes] == ["new", "published", "unchanged"]
    [shown] = store.listing.latest(5)
    assert shown.path == "a.txt" and shown.article.published
    assert store.db.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0] == 1


def impatient(store: Store) -> Store:
    """Give up on a lock after 50 ms instead of the busy timeout's seconds."""
    store.db.execute("PRAGMA busy_timeout = 50")
    return store


async def test_live_file_waits_for_a_locked_database_and_is_then_stored(
    store: Store, articles: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A lock held past the busy timeout delays the file; it is stored once the lock goes."""
    store.flags.mark_baseline_done()
    follow(store, CHAT, ["AI"])
    watcher, changes, task = await watch(impatient(store), articles)
    try:
        assert watcher.problems() == []
        with write_lock(tmp_path / "newsbot.db"):
            write_article(articles / "a.txt")
            await eventually(lambda: "a.txt is stored once it is free (try 2" in caplog.text)
            assert changes == []
            # /healthz says why nothing is stored, as the sender does for its own writes
            assert watcher.problems() == [
                "the database is locked by another process: 1 article file waits for it"
            ]
        await eventually(lambda: [c.kind for c in changes] == ["new"])
        assert watcher.problems() == []
    finally:
        await unwatch(task)
    assert store.db.execute("SELECT state FROM deliveries").fetchall() == [("pending",)]


async def test_start_up_scan_waits_for_a_locked_database(
    store: Store, articles: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The start-up scan is tried again until the lock goes, instead of ending the watcher;
    meanwhile /healthz says what it waits for, not that the watcher is not running."""
    store.flags.mark_baseline_done()
    write_article(articles / "a.txt")
    built: list[Watcher] = []
    with write_lock(tmp_path / "newsbot.db"):
        starting = asyncio.create_task(watch(impatient(store), articles, built=built.append))
        await eventually(lambda: "the scan is tried again" in caplog.text)
        assert not starting.done()
        assert built[0].problems() == [
            "the database is locked by another process: the start-up scan waits for it"
        ]
    _, changes, task = await starting
    assert built[0].problems() == []
    await unwatch(task)
    assert [c.kind for c in changes] == ["new"]
    assert built[0].problems() == ["the folder watcher is not running"]
