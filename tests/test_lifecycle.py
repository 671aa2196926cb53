"""The article lifecycle (docs/guarantees.md) on a real folder with a real watchdog observer."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.articles.ingest import Ingestor
from bot.articles.watcher import Watcher
from bot.foundation.config import Config
from storage import Store, open_store
from storage.store import Change
from tests.articles import article_text, write_article
from tests.conftest import eventually, start_bot, stop_bot
from tests.feeds import follow
from tests.standin import StandIn
from tests.watching import Watching, grace_over, unwatch, watch

CHAT = 77


@pytest.fixture
async def live(store: Store, articles: Path) -> AsyncIterator[Watching]:
    """A watcher past its first start, with chat 77 following AI."""
    store.flags.mark_baseline_done()
    follow(store, CHAT, ["AI"])
    watcher, changes, task = await watch(store, articles)
    yield Watching(watcher, changes, store, articles)
    await unwatch(task)


async def test_new_published_file_is_stored_and_queued_once(live: Watching) -> None:
    write_article(live.folder / "a.txt")
    await live.settled(1)
    assert live.kinds() == ["new"]
    assert live.queued() == [(CHAT, "pending")]
    assert live.store.listing.latest(5)[0].article.title == "Robots learn to fold laundry"


async def test_draft_is_not_queued_until_published(live: Watching) -> None:
    write_article(live.folder / "a.txt", published=False)
    await live.settled(1)
    assert live.queued() == [] and live.store.listing.latest(5) == []
    write_article(live.folder / "a.txt", published=True)
    await live.settled(2)
    assert live.kinds() == ["new", "published"]
    assert live.queued() == [(CHAT, "pending")]


async def test_edit_of_published_article_is_stored_not_queued_again(live: Watching) -> None:
    write_article(live.folder / "a.txt")
    await live.settled(1)
    write_article(live.folder / "a.txt", title="Robots fold laundry, better")
    await live.settled(2)
    assert live.kinds() == ["new", "edited"]
    assert len(live.queued()) == 1
    assert live.store.listing.latest(1)[0].article.title == "Robots fold laundry, better"


async def test_unpublish_cancels_pending_and_republish_does_not_repeat_sent(live: Watching) -> None:
    write_article(live.folder / "a.txt")
    await live.settled(1)
    live.store.db.execute("UPDATE deliveries SET state = 'sent'")  # the chat got it
    write_article(live.folder / "a.txt", published=False)
    await live.settled(2)
    assert live.store.listing.latest(5) == []
    write_article(live.folder / "a.txt", published=True)
    await live.settled(3)
    assert live.kinds() == ["new", "unpublished", "published"]
    assert live.queued() == [(CHAT, "sent")]


async def test_deleted_file_is_hidden_and_its_pending_pushes_cancelled(live: Watching) -> None:
    write_article(live.folder / "a.txt")
    await live.settled(1)
    (live.folder / "a.txt").unlink()
    await live.withdrawn(1)
    await live.settled(2)
    assert live.kinds() == ["new", "removed"]
    assert live.queued() == [(CHAT, "cancelled")]
    assert live.store.listing.latest(5) == [] and live.store.listing.search("robots", 5) == []


async def test_touch_or_identical_rewrite_does_nothing(live: Watching) -> None:
    path = write_article(live.folder / "a.txt")
    await live.settled(1)
    os.utime(path)
    path.write_text(path.read_text())
    await eventually(lambda: len(live.changes) >= 2)
    assert live.kinds() == ["new"]
    assert len(live.queued()) == 1


async def test_two_files_with_one_url_are_one_article(
    live: Watching, caplog: pytest.LogCaptureFixture
) -> None:
    write_article(live.folder / "a.txt")
    await live.settled(1)
    write_article(live.folder / "b.txt", title="The same story again")
    await live.settled(2)
    assert live.kinds() == ["new", "duplicate"]
    assert "b.txt: same webUrl as a.txt" in caplog.text
    assert [e.path for e in live.store.figures.ingest_errors()] == ["b.txt"]
    assert len(live.queued()) == 1


async def test_temp_file_renamed_into_place_is_read_once(live: Watching) -> None:
    """Writing a temp file and renaming it into place reads the article file once."""
    temp = live.folder / "a.txt.tmp"
    temp.write_text(article_text())
    os.replace(temp, live.folder / "a.txt")
    await live.settled(1)
    await eventually(lambda: live.watcher.pending() == 0)
    # a second read would show as an "unchanged" change: the list holds every one
    assert [change.kind for change in live.changes] == ["new"]
    assert [f for f in live.store.files.file_states()] == ["a.txt"]


async def test_editor_swap_and_backup_files_are_ignored(live: Watching) -> None:
    for name in (".a.txt.swp", "a.txt~", ".hidden.txt", "a.part", "b.tmp"):
        (live.folder / name).write_text(article_text(webUrl=f"https://x.example/{name}"))
    write_article(live.folder / "real.txt")
    await live.settled(1)
    assert list(live.store.files.file_states()) == ["real.txt"]


async def test_file_written_slowly_in_chunks_is_never_read_half(live: Watching) -> None:
    """A writer that pauses longer than the settle time mid-file: no error, one push."""
    text = article_text().encode()
    chunks = [text[:40], text[40:120], text[120:]]

    def slow_writer() -> None:
        with open(live.folder / "slow.txt", "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
                handle.flush()
                time.sleep(0.3)  # the scenario: a writer slower than the settle time

    writer = threading.Thread(target=slow_writer)
    writer.start()
    await asyncio.to_thread(writer.join)
    await live.settled(1)
    assert live.kinds() == ["new"]
    assert live.store.figures.ingest_errors() == []
    assert live.queued() == [(CHAT, "pending")]


BAD_FILES = {
    "invalid YAML": b"---\ntitle: [oops\n---\n",
    "no front matter": b"just text\n",
    "missing title": article_text(title=None).encode(),
    "empty title": article_text(title="").encode(),
    "missing webUrl": article_text(webUrl=None).encode(),
    "topics as a string": article_text(topics="AI").encode(),
    "published as a string": article_text(published="false").encode(),
    "non-URL webUrl": article_text(webUrl="not a url").encode(),
    "empty file": b"",
    "binary": b"\x00\x01\x02\x89PNG",
    "not UTF-8": "---\ntitle: caf\xe9\n---\n".encode("latin-1"),
    "too large": article_text(excerpt="x" * 5000).encode(),
    "python tag": b"---\ntitle: !!python/object/apply:os.getcwd []\nwebUrl: https://a.example/a\n---\n",
    "alias": b"---\ntitle: &t x\nexcerpt: *t\nwebUrl: https://a.example/a\n---\n",
}
REASONS = {
    "invalid YAML": "invalid YAML",
    "no front matter": "no front matter",
    "missing title": "title is missing",
    "empty title": "title is empty",
    "missing webUrl": "webUrl is missing",
    "topics as a string": "topics must be a list",
    "published as a string": "published must be true or false",
    "non-URL webUrl": "webUrl must be an http(s) URL",
    "empty file": "empty file",
    "binary": "binary file",
    "not UTF-8": "not UTF-8",
    "too large": "too large",
    "python tag": "YAML tag",
    "alias": "anchors and aliases",
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
async def test_bad_file_is_logged_listed_and_picked_up_once_fixed(
    live: Watching, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    """One log line naming file and reason, a row for admins, no effect on others; fixed, it is taken."""
    write_article(live.folder / "good.txt", webUrl="https://a.example/good")
    await live.settled(1)
    caplog.set_level(logging.WARNING)
    path = live.folder / "bad.txt"
    path.write_bytes(BAD_FILES[case])
    await eventually(lambda: bool(live.store.figures.ingest_errors()))
    lines = [r.getMessage() for r in caplog.records if "bad.txt" in r.getMessage()]
    assert len(lines) == 1 and REASONS[case] in lines[0]
    assert REASONS[case] in live.store.figures.ingest_errors()[0].reason
    assert [s.article.url for s in live.store.listing.latest(5)] == ["https://a.example/good"]
    write_article(path, atomic=False, webUrl="https://a.example/fixed")
    await eventually(lambda: not live.store.figures.ingest_errors())
    assert {s.article.url for s in live.store.listing.latest(5)} == {
        "https://a.example/good",
        "https://a.example/fixed",
    }


async def test_symlink_out_of_the_folder_is_refused(live: Watching, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text(article_text())
    (live.folder / "link.txt").symlink_to(outside)
    await eventually(lambda: bool(live.store.figures.ingest_errors()))
    assert "symlink pointing outside the folder" in live.store.figures.ingest_errors()[0].reason
    assert live.store.listing.latest(5) == []


async def test_first_start_takes_existing_files_as_baseline(store: Store, articles: Path) -> None:
    follow(store, CHAT, ["AI"])
    write_article(articles / "old.txt")
    _, changes, task = await watch(store, articles)
    await unwatch(task)
    assert [c.kind for c in changes] == ["new"] and sum(c.queued for c in changes) == 0
    assert len(store.listing.latest(5)) == 1


async def test_a_file_written_while_the_first_start_scan_runs_is_pushed(
    store: Store, articles: Path
) -> None:
    """The first start's baseline scan has begun when a new file lands: the scan lists
    it, but it is news, stored and pushed once; the file that was there before is not."""
    follow(store, CHAT, ["AI"])
    write_article(articles / "old.txt", webUrl="https://a.example/old")
    built: list[Watcher] = []
    starting = asyncio.create_task(watch(store, articles, built=built.append))
    while not (built and built[0].in_baseline):
        await asyncio.sleep(0)
    write_article(articles / "new.txt", webUrl="https://a.example/new")  # before the listing
    _, _, task = await starting
    try:
        await eventually(lambda: queued_urls(store) == ["https://a.example/new"])
        await asyncio.sleep(0.3)  # a second queueing (the event after the scan) would show
        assert queued_urls(store) == ["https://a.example/new"]
    finally:
        await unwatch(task)
    assert {s.article.url for s in store.listing.latest(5)} == {
        "https://a.example/old",
        "https://a.example/new",
    }


def queued_urls(store: Store) -> list[str]:
    rows = store.db.execute("SELECT a.url FROM deliveries d JOIN articles a ON a.id = d.article_id")
    return sorted(row[0] for row in rows)


async def test_changes_while_down_are_handled_on_start_as_if_live(
    tmp_path: Path, articles: Path
) -> None:
    """New, published, edited and deleted while stopped: the next start sees each once."""
    store = open_store(tmp_path / "db")
    follow(store, CHAT, ["AI"])
    write_article(articles / "kept.txt", webUrl="https://a.example/kept")
    write_article(articles / "draft.txt", webUrl="https://a.example/draft", published=False)
    write_article(articles / "gone.txt", webUrl="https://a.example/gone")
    _, _, task = await watch(store, articles)  # first start: all three are the baseline
    await unwatch(task)
    store.close()

    write_article(articles / "new.txt", webUrl="https://a.example/new")
    write_article(articles / "draft.txt", webUrl="https://a.example/draft", published=True)
    write_article(articles / "kept.txt", webUrl="https://a.example/kept", title="Edited")
    (articles / "gone.txt").unlink()

    store = open_store(tmp_path / "db")
    watcher, changes, task = await watch(store, articles)
    await grace_over(watcher, 1)  # gone while down: withdrawn once its grace is over
    await unwatch(task)
    assert sorted(c.kind for c in changes) == ["edited", "new", "published", "removed"]
    urls = {s.article.url for s in store.listing.latest(10)}
    assert urls == {"https://a.example/kept", "https://a.example/draft", "https://a.example/new"}
    queued = store.db.execute(
        "SELECT a.url FROM deliveries d JOIN articles a ON a.id = d.article_id"
    )
    assert sorted(row[0] for row in queued) == ["https://a.example/draft", "https://a.example/new"]
    store.close()


async def test_dead_observer_is_restarted_and_watching_goes_on(
    live: Watching, caplog: pytest.LogCaptureFixture
) -> None:
    observer = live.watcher.folder.observer
    assert observer is not None
    observer.stop()
    observer.join(5)
    await eventually(
        lambda: live.watcher.folder.restarts == 1 and live.watcher.folder.observer is not observer
    )
    assert "the folder watcher stopped; restarting it" in caplog.text
    write_article(live.folder / "after.txt")
    await live.settled(1)
    assert live.queued() == [(CHAT, "pending")]


async def test_polling_observer_sees_new_files(store: Store, articles: Path) -> None:
    """NEWSBOT_WATCHER=polling: for mounts where inotify never fires."""
    store.flags.mark_baseline_done()
    _, changes, task = await watch(store, articles, polling=True)
    write_article(articles / "a.txt")
    await eventually(lambda: any(c.kind == "new" for c in changes))
    await unwatch(task)


async def test_duplicate_takes_over_when_the_first_file_goes(live: Watching) -> None:
    write_article(live.folder / "a.txt")
    await live.settled(1)
    write_article(live.folder / "b.txt", title="The same story again")
    await live.settled(2)
    (live.folder / "a.txt").unlink()
    await live.withdrawn(1)
    await eventually(
        lambda: (
            bool(live.store.listing.latest(5)) and live.store.listing.latest(5)[0].path == "b.txt"
        )
    )
    assert live.store.listing.latest(5)[0].article.title == "The same story again"
    assert live.store.figures.ingest_errors() == []


async def test_renamed_file_is_the_same_article_and_not_pushed_again(live: Watching) -> None:
    write_article(live.folder / "a.txt")
    await live.settled(1)
    live.store.db.execute("UPDATE deliveries SET state = 'sent'")
    os.replace(live.folder / "a.txt", live.folder / "b.txt")
    await eventually(
        lambda: (
            bool(live.store.listing.latest(5)) and live.store.listing.latest(5)[0].path == "b.txt"
        )
    )
    assert live.queued() == [(CHAT, "sent")]


async def test_subfolders_are_ignored_unless_recursive(store: Store, articles: Path) -> None:
    store.flags.mark_baseline_done()
    (articles / "sub").mkdir()
    write_article(articles / "sub" / "deep.txt", webUrl="https://a.example/deep")
    _, changes, task = await watch(store, articles)
    write_article(articles / "top.txt", webUrl="https://a.example/top")
    await eventually(lambda: any(c.kind == "new" for c in changes))
    await unwatch(task)
    assert list(store.files.file_states()) == ["top.txt"]
    ingestor = Ingestor(store, articles.resolve(), max_bytes=4096, recursive=True)
    assert ingestor.wants(articles.resolve() / "sub" / "deep.txt")
    found = ingestor.scan(store.files.file_states())
    assert [p.name for p in found.changed] == ["deep.txt"]


async def test_the_watcher_reports_a_queued_push_the_sender_can_already_read(
    live: Watching,
) -> None:
    """When a change is reported on the loop, the loop's connection sees its pushes."""
    ready_at_report: list[list[int]] = []
    report = live.watcher.on_change

    def on_change(change: Change) -> None:
        if change.queued:
            ready_at_report.append([r.chat_id for r in live.store.outbox.ready(10, time.time())])
        report(change)

    live.watcher.on_change = on_change
    write_article(live.folder / "a.txt")
    await live.settled(1)
    assert ready_at_report == [[CHAT]]


async def test_first_start_logs_its_baseline_in_one_line_not_one_per_file(
    store: Store, articles: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A first start on a folder of 100,000 files logged 100,000 'new article' lines for
    articles that are never pushed: one line counts them; live files keep their line."""
    caplog.set_level(logging.INFO, logger="bot")
    for index in range(3):
        write_article(articles / f"{index}.txt", webUrl=f"https://a.example/{index}")
    announcing = Ingestor(store, articles.resolve(), max_bytes=4096, recursive=False, announce=True)
    _, changes, task = await watch(store, articles, ingestor=announcing)
    try:
        write_article(articles / "live.txt", webUrl="https://a.example/live")
        await eventually(lambda: len(changes) == 4)
    finally:
        await unwatch(task)
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("bot.")]
    assert (
        "first start: the files already in the folder are the baseline, not pushed "
        "(3 article files stored)"
    ) in lines
    assert [line for line in lines if line.startswith("new article")] == [
        "new article 4 (live.txt)"
    ]


async def test_dangling_symlink_is_a_bad_file_listed_and_read_again_once_fixed(
    live: Watching, caplog: pytest.LogCaptureFixture
) -> None:
    """A link to a file that is not there was "cannot read: No such file or directory"
    live, and skipped without a word by scans (at start: the next test) and `ingest`. It is
    a bad file as a link out of the folder is: one line naming the target, listed, kept
    across scans, and read again once its target is there."""
    (live.folder / "sub").mkdir()  # not watched (not recursive): only the link is an article
    target = live.folder / "sub" / "a.txt"
    with caplog.at_level(logging.WARNING, logger="bot.articles.ingest"):
        (live.folder / "link.txt").symlink_to(target)
        await eventually(lambda: bool(live.store.figures.ingest_errors()))
        await live.watcher.scan()
    [error] = live.store.figures.ingest_errors()
    assert (error.path, error.reason) == ("link.txt", f"symlink to a missing file ({target})")
    lines = [r.getMessage() for r in caplog.records if "link.txt" in r.getMessage()]
    assert lines == [f"skipped article file link.txt: symlink to a missing file ({target})"]
    write_article(target)
    await live.watcher.scan()
    assert not live.store.figures.ingest_errors()
    assert [s.path for s in live.store.listing.latest(5)] == ["link.txt"]


async def test_dangling_symlink_and_symlink_loop_are_bad_files_at_start(
    store: Store, articles: Path
) -> None:
    (articles / "link.txt").symlink_to(articles / "nowhere.txt")
    (articles / "loop.txt").symlink_to(articles / "loop.txt")
    write_article(articles / "good.txt")
    _, _, task = await watch(store, articles)
    await unwatch(task)
    reasons = {error.path: error.reason for error in store.figures.ingest_errors()}
    assert reasons == {
        "link.txt": f"symlink to a missing file ({articles / 'nowhere.txt'})",
        "loop.txt": "symlink loop",
    }


async def test_file_names_with_control_characters_stay_on_one_log_line(
    store: Store, articles: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A newline in a file name split the log line naming it (a forged second line, to a
    reader of the log): such a name is logged quoted, with Python's escapes."""
    store.flags.mark_baseline_done()
    ingestor = Ingestor(store, articles.resolve(), max_bytes=4096, recursive=False, announce=True)
    watcher, changes, task = await watch(store, articles, ingestor=ingestor)
    try:
        with caplog.at_level(logging.INFO):
            write_article(articles / "new\nINFO forged.txt")
            (articles / "bad\tname.txt").write_text("no front matter")
            await eventually(lambda: len(changes) >= 2)
            (articles / "new\nINFO forged.txt").unlink()
            await grace_over(watcher, 1)
            await eventually(lambda: len(changes) >= 3)
    finally:
        await unwatch(task)
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("bot.")]
    assert not [line for line in lines if "\n" in line or "\t" in line], lines
    assert "new article 1 ('new\\nINFO forged.txt')" in lines
    assert "removed article 1 ('new\\nINFO forged.txt'): the file is gone" in lines
    assert any(line.startswith("skipped article file 'bad\\tname.txt': ") for line in lines)


async def test_the_running_line_comes_after_the_first_start_baseline(
    config: Config, standin: StandIn, caplog: pytest.LogCaptureFixture
) -> None:
    """'newsbot is running' is logged once the baseline is taken, not while it is read:
    whoever waits for that line may write files that are pushed."""
    caplog.set_level(logging.INFO)
    for number in range(20):
        write_article(config.articles_dir / f"{number}.txt", webUrl=f"https://a.example/{number}")
    bot, task, stop = await start_bot(config, standin)
    try:
        await eventually(
            lambda: any("newsbot is running" in r.getMessage() for r in caplog.records)
        )
    finally:
        await stop_bot(bot, task, stop)
    lines = [r.getMessage() for r in caplog.records]
    taken = next(i for i, line in enumerate(lines) if line.startswith("first start:"))
    running = next(i for i, line in enumerate(lines) if line.startswith("newsbot is running"))
    assert taken < running


async def test_a_file_renamed_while_down_takes_its_article_over_at_the_start(
    tmp_path: Path, articles: Path
) -> None:
    """A rename only a scan sees (the bot was down, or a polling observer): the new name is
    the article at once, as with a rename seen live, and a baseline article stays unpushed.
    It used to be a duplicate until the old name's grace ran out, and then its article was
    withdrawn and published again (pushed, though it was never pushed before)."""
    store = open_store(tmp_path / "db")
    follow(store, CHAT, ["AI"])
    write_article(articles / "a.txt", webUrl="https://a.example/a")
    _, _, task = await watch(store, articles)  # first start: the baseline
    await unwatch(task)
    store.close()

    (articles / "a.txt").rename(articles / "renamed.txt")
    store = open_store(tmp_path / "db")
    watcher, changes, task = await watch(store, articles)
    try:
        assert watcher.withdrawals.waiting() == 0
        assert [stored.path for stored in store.listing.latest(5)] == ["renamed.txt"]
        assert store.figures.ingest_errors() == []
    finally:
        await unwatch(task)
    assert [change.kind for change in changes] == ["edited"]  # the same article, moved
    assert store.db.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0] == 0  # a baseline


async def test_a_baseline_file_renamed_live_is_not_pushed(tmp_path: Path, articles: Path) -> None:
    """A rename seen live takes the article over: an article of the first start's baseline,
    never pushed, is not pushed for being moved (it was: withdrawn, then published)."""
    store = open_store(tmp_path / "db")
    follow(store, CHAT, ["AI"])
    write_article(articles / "a.txt", webUrl="https://a.example/a")
    _, _, task = await watch(store, articles)  # first start: the baseline
    await unwatch(task)
    watcher, changes, task = await watch(store, articles)
    try:
        (articles / "a.txt").rename(articles / "renamed.txt")
        await eventually(lambda: [s.path for s in store.listing.latest(5)] == ["renamed.txt"])
        await eventually(lambda: watcher.withdrawals.waiting() == 0)
    finally:
        await unwatch(task)
    assert [change.kind for change in changes] == ["edited"]
    assert store.db.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0] == 0


async def test_a_file_that_names_another_article_now_is_not_taken_as_moved(
    live: Watching,
) -> None:
    """p.txt held article A, then named B instead (A hidden, still at p.txt); p.txt goes
    and x.txt brings A back. x.txt takes A, and p.txt is withdrawn in its turn with B: it
    used to be forgotten as if A had moved, leaving B shown with no file behind it."""
    write_article(live.folder / "p.txt", webUrl="https://a.example/A")
    await live.settled(1)
    write_article(live.folder / "p.txt", webUrl="https://a.example/B", title="Bee")
    await live.settled(2)
    (live.folder / "p.txt").unlink()
    await eventually(lambda: live.watcher.withdrawals.waiting() == 1)
    write_article(live.folder / "x.txt", webUrl="https://a.example/A")
    await live.settled(3)
    assert live.watcher.withdrawals.waiting() == 1  # p.txt still waits: it holds B
    await live.withdrawn(1)
    assert [(s.path, s.article.url) for s in live.store.listing.latest(5)] == [
        ("x.txt", "https://a.example/A")
    ]
