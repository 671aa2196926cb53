"""A file that disappears is not yet withdrawn: the grace, the hold on mass loss, release.

The bookkeeping on a fake clock; then the running bot on a real folder with the stand-in,
its clock moved by the test (the watcher's grace and the sender's 48 hours alike).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.articles.withdrawals import Withdrawals
from bot.cli.main import main
from bot.foundation.config import Config
from tests.articles import write_article
from tests.clocks import FakeClock
from tests.conftest import ADMIN_ID, eventually, stop_bot
from tests.standin import StandIn
from tests.test_following import Following, past_deleting, pushed, start_following

GRACE = 60.0


def test_a_file_gone_is_due_only_once_it_stayed_away_for_the_grace() -> None:
    """Gone at 100 with a 60 s grace: due at 160, not before, and only once."""
    clock = FakeClock()
    withdrawals = Withdrawals(clock, grace=GRACE, most=20)
    withdrawals.gone(Path("a.txt"))
    clock.now += GRACE - 1
    withdrawals.gone(Path("a.txt"))  # a scan sees it gone again: its grace runs on
    assert withdrawals.due() == []
    clock.now += 1
    assert withdrawals.due() == [Path("a.txt")] and withdrawals.due() == []


def test_a_file_back_within_the_grace_is_never_due() -> None:
    """Back by an event, or listed again by a scan that began after it went: forgotten."""
    clock = FakeClock()
    withdrawals = Withdrawals(clock, grace=GRACE, most=20)
    withdrawals.gone(Path("a.txt"))
    withdrawals.gone(Path("b.txt"))
    withdrawals.back(Path("a.txt"))
    clock.now += 1
    withdrawals.scanned([], listed_at=clock.now)
    clock.now += GRACE
    assert withdrawals.due() == [] and withdrawals.waiting() == 0


async def test_a_file_being_withdrawn_still_waits_until_it_is_removed(tmp_path: Path) -> None:
    """`waiting()` fell to 0 when a file was due, before its removal was stored: whoever
    waited for it (CI, once) read the changes one short."""
    clock = FakeClock()
    withdrawals = Withdrawals(clock, grace=GRACE, most=20)
    seen: list[int] = []

    async def remove(path: Path) -> None:
        seen.append(withdrawals.waiting())

    async def released() -> bool:
        return False

    withdrawals.attach(remove, released)
    withdrawals.gone(tmp_path / "a.txt")
    withdrawals.gone(tmp_path / "b.txt")
    clock.now += GRACE
    assert await withdrawals.withdraw(withdrawals.due()) == 2
    assert seen == [2, 1] and withdrawals.waiting() == 0


def test_a_scan_begun_before_a_file_went_does_not_call_it_back() -> None:
    """A scan lists the folder in a thread; a file gone meanwhile is still gone."""
    clock = FakeClock()
    withdrawals = Withdrawals(clock, grace=GRACE, most=20)
    listed_at = clock.now
    clock.now += 1
    withdrawals.gone(Path("a.txt"))
    withdrawals.scanned([], listed_at=listed_at)
    clock.now += GRACE
    assert withdrawals.due() == [Path("a.txt")]


def test_more_files_gone_within_a_grace_than_allowed_are_all_held(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """21 files gone with 20 allowed: none is due, however long; one warning; released,
    all are due at once."""
    clock = FakeClock()
    withdrawals = Withdrawals(clock, grace=GRACE, most=20)
    withdrawals.gone(Path("early.txt"))
    clock.now += GRACE  # withdrawn before the others went
    assert withdrawals.due() == [Path("early.txt")]
    for index in range(21):
        withdrawals.gone(Path(f"{index}.txt"))
    withdrawals.gone(Path("later.txt"))  # while held: held too
    clock.now += 10 * GRACE
    assert withdrawals.due() == [] and withdrawals.held() == 22
    assert withdrawals.problems() == [
        "22 article files gone are held, not withdrawn: more than 20 went within 60 s "
        "(an admin releases them with /release or newsbot release)"
    ]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "21 article files went within 60 s" in warnings[0]
    assert len(withdrawals.release()) == 22
    assert withdrawals.held() == 0 and withdrawals.problems() == []


def test_held_files_that_all_come_back_end_the_hold() -> None:
    clock = FakeClock()
    withdrawals = Withdrawals(clock, grace=GRACE, most=2)
    for name in ("a", "b", "c"):
        withdrawals.gone(Path(name))
    assert withdrawals.held() == 3
    withdrawals.scanned([], listed_at=clock.now + 1)
    assert withdrawals.held() == 0 and not withdrawals.holding


# --- the running bot ------------------------------------------------------------------


@pytest.fixture
async def live(config: Config, standin: StandIn, articles: Path) -> AsyncIterator[Following]:
    following = await start_following(config, standin, articles)
    yield following
    await stop_bot(following.running.bot, following.task, following.stop)


def grace_over(live: Following) -> None:
    live.clock.advance(GRACE + 1)


async def test_a_file_away_for_seconds_changes_nothing_and_one_that_stays_away_goes(
    live: Following,
) -> None:
    """Seven files away for 4 s made six deleteMessage calls: a file back within the grace
    changes nothing in any chat and is not pushed again, while one that stays away is
    withdrawn once its grace is over (and only then)."""
    sent = await pushed(live, 5)
    other = write_article(
        live.running.articles / "b.txt", webUrl="https://news.example.com/other", topics=["AI"]
    )
    await live.standin.until(lambda: len(live.standin.messages_to(5)) == 2)
    watcher = live.running.bot.watcher
    text = (live.running.articles / "a.txt").read_bytes()
    (live.running.articles / "a.txt").unlink()
    other.unlink()
    await eventually(lambda: watcher.withdrawals.waiting() == 2)
    (live.running.articles / "a.txt").write_bytes(text)  # back, as a sync puts it
    await eventually(lambda: watcher.withdrawals.waiting() == 1)
    assert live.standin.edits == []
    grace_over(live)
    await live.standin.until(lambda: len(live.standin.edits) == 1)
    [deleted] = live.standin.edits
    assert deleted.method == "deleteMessage" and deleted.message_id != sent[5]
    assert len(live.standin.messages_to(5)) == 2  # a.txt was not pushed again
    titles = [s.article.url for s in live.running.store.listing.latest(5)]
    assert titles == ["https://news.example.com/robots-laundry"]


async def test_a_file_moved_while_its_old_name_waits_takes_its_article_over(
    live: Following,
) -> None:
    """A rename (git mv, a sync's move) is the old name gone and a new one holding the same
    webUrl: the new file is the article at once; nothing is deleted or pushed again."""
    await pushed(live, 5)
    (live.running.articles / "a.txt").rename(live.running.articles / "renamed.txt")
    store = live.running.store
    await eventually(lambda: [s.path for s in store.listing.latest(5)] == ["renamed.txt"])
    grace_over(live)
    await eventually(lambda: live.running.bot.watcher.withdrawals.waiting() == 0)
    await live.edits_due()
    assert live.standin.edits == [] and len(live.standin.messages_to(5)) == 1
    assert store.figures.ingest_errors() == []


async def hold(live: Following, count: int) -> None:
    """`count` stored articles (no chat follows them), then their files gone at once."""
    store = live.running.store
    for index in range(count):
        write_article(live.running.articles / f"{index}.txt", webUrl=f"https://a.example/{index}")
    await eventually(lambda: len(store.listing.latest(50)) == count)
    for index in range(count):
        (live.running.articles / f"{index}.txt").unlink()
    await eventually(lambda: live.running.bot.watcher.withdrawals.held() == count)


async def test_many_files_gone_at_once_are_held_until_an_admin_releases_them(
    live: Following,
) -> None:
    """An unmounted share or a half-synced folder: more than NEWSBOT_MAX_WITHDRAWALS files
    within one grace are all held, however long; /healthz and /errors say so; /release
    withdraws them, and is for bot admins only."""
    await hold(live, 21)
    grace_over(live)
    bot, store = live.running.bot, live.running.store
    assert any("21 article files gone are held" in p for p in bot.problems())
    reply = await live.running.command(ADMIN_ID, "/errors")
    assert reply.startswith("21 article files are gone and held, not withdrawn")
    assert len(store.listing.latest(50)) == 21
    refused = await live.running.command(7, "/release")
    assert refused == "Sorry, that command is for the bot's admins."
    assert len(store.listing.latest(50)) == 21
    reply = await live.running.command(ADMIN_ID, "/release")
    assert reply == "21 article files gone are withdrawn."
    assert store.listing.latest(50) == [] and bot.problems() == []
    assert await live.running.command(ADMIN_ID, "/release") == (
        "No article file is waiting to be withdrawn."
    )


async def test_newsbot_release_is_obeyed_by_the_running_bot(
    live: Following, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CLI verb leaves its mark in the database; the running bot withdraws the held
    files within a second and takes the mark away."""
    await hold(live, 21)
    monkeypatch.setenv("NEWSBOT_DB", str(live.running.bot.config.db_path))
    assert main(["release"]) == 0
    assert capsys.readouterr().out.startswith("release asked: the running bot withdraws")
    store = live.running.store
    await eventually(lambda: store.listing.latest(50) == [])
    assert live.running.bot.problems() == []
    await eventually(lambda: not store.flags.get_meta("withdrawals_released"))


async def test_unpublishing_is_withdrawn_at_once(live: Following) -> None:
    """`published: false` is an explicit decision: no grace."""
    await pushed(live, 5)
    live.write(published=False)
    await live.standin.until(lambda: len(live.standin.edits) == 1)
    assert live.standin.edits[0].method == "deleteMessage"


async def test_a_file_pruned_after_48_hours_edits_nothing(live: Following) -> None:
    """An operator deleting old files keeps the folder small: the article leaves the
    listings, and its old messages stay as they are (no "withdrawn" notice)."""
    sent = await pushed(live, 5)
    past_deleting(live, 5, sent[5])
    (live.running.articles / "a.txt").unlink()
    await eventually(lambda: live.running.bot.watcher.withdrawals.waiting() == 1)
    grace_over(live)
    await eventually(lambda: live.rows("retract") == [(5, "cancelled")])
    assert live.standin.edits == []
    assert live.running.store.listing.latest(5) == []
    assert live.running.store.listing.search("robots", 5) == []
