"""Quiet hours and digests end to end: held pushes, one digest at the window's end, a
crash between digest messages, withdrawn articles, the split at 4096, on a moved clock."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from bot.delivery.digesting import DIGEST_CAP
from bot.delivery.rendering import TEXT_LIMIT, render_digest, utf16_len, visible_len
from bot.foundation.config import Config
from storage import Article, Provider, Store
from storage.models import StoredArticle
from storage.settings import FeedSettings
from storage.store import FileState
from tests.conftest import ADMIN_ID, eventually, start_bot, stop_bot
from tests.feeds import follow
from tests.publishing import FOLLOWING
from tests.sending import sending
from tests.standin import Sent, StandIn

START = 1_800_000_000.0  # 2027-01-15 08:00 UTC: the moment the moved clock starts from
HOUR = 3600.0


class MovedClock:
    """The sender's wall clock, moved by the test instead of waited for."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def article(number: int, heat: int | None = None, title: str | None = None) -> Article:
    return Article(
        url=f"https://news.example.com/{number}",
        title=title or f"Story {number}",
        topics=("AI",),
        provider=Provider("Wire"),
        heat=heat,
    )


class Bot:
    """A running bot on a moved clock, started and stopped by the test."""

    def __init__(self, config: Config, standin: StandIn, clock: MovedClock) -> None:
        self.config, self.standin, self.clock = config, standin, clock

    async def start(self) -> None:
        self.bot, self.task, self.stop_event = await start_bot(
            self.config, self.standin, self.clock
        )
        self.store = self.bot.store

    async def stop(self) -> None:
        await stop_bot(self.bot, self.task, self.stop_event)

    def publish(self, item: Article) -> int:
        slug = item.url.rsplit("/", 1)[1]
        change = FOLLOWING.store_article(
            self.store, f"{slug}.txt", FileState(1, 1, slug), item, queue=True
        )
        self.bot.sender.wake()
        assert change.article_id is not None
        return change.article_id

    def count(self, state: str, kind: str = "push") -> int:
        row = self.store.db.execute(
            "SELECT COUNT(*) FROM deliveries WHERE state = ? AND kind = ?", [state, kind]
        ).fetchone()
        return int(row[0])

    def move(self, seconds: float) -> None:
        self.clock.now += seconds
        self.bot.sender.wake()


@pytest.fixture
async def quiet_bot(config: Config, standin: StandIn) -> AsyncIterator[Bot]:
    """Chat 1 follows AI with quiet hours 07:00-10:00 UTC; the clock reads 08:00 UTC."""
    bot = Bot(config, standin, MovedClock())
    await bot.start()
    feed = follow(bot.store, 1, ["AI"])
    bot.store.settings.save(feed, FeedSettings(quiet_start=7 * 60, quiet_end=10 * 60))
    bot.bot.sender.feeds.changed(feed, START)
    yield bot
    if not bot.task.done():
        await bot.stop()


def digests_to(standin: StandIn, chat_id: int) -> list[str]:
    return [m.text or "" for m in standin.messages_to(chat_id) if m.method == "sendMessage"]


async def test_pushes_in_quiet_hours_arrive_as_one_digest_at_their_end(quiet_bot: Bot) -> None:
    """Three pushes due at 08:00 in 07:00-10:00 wait, then go at 10:00 as one message,
    hottest first, silent when the feed is silent."""
    for number, heat in [(1, 10), (2, 90), (3, None)]:
        quiet_bot.publish(article(number, heat))
    await eventually(lambda: quiet_bot.count("held") == 3)
    quiet_bot.move(HOUR)  # 09:00: still quiet
    await eventually(lambda: quiet_bot.count("held") == 3)
    assert quiet_bot.standin.messages_to(1) == []
    quiet_bot.move(HOUR + 1)  # just past 10:00
    await quiet_bot.standin.until(lambda: len(quiet_bot.standin.messages_to(1)) == 1)
    [digest] = quiet_bot.standin.messages_to(1)
    assert digest.method == "sendMessage"
    assert digest.text is not None
    lines = digest.text.splitlines()
    assert lines == [
        "Digest: 3 new articles",
        "• Story 2 — Wire",
        "• Story 1 — Wire",
        "• Story 3 — Wire",
    ]
    assert digest.params["link_preview_options"] == {"is_disabled": True}
    await eventually(lambda: quiet_bot.count("sent", "digest") == 1)
    assert quiet_bot.count("digested") == 3 and quiet_bot.count("held") == 0


BROADCAST = "Maintenance tonight"


async def test_a_broadcast_goes_at_once_but_silently_to_quiet_and_silent_feeds(
    quiet_bot: Bot,
) -> None:
    """An admin's broadcast does not wait for quiet hours: at 08:00 it goes at once, without
    a notification, to chat 1 (quiet 07:00-10:00) and to chat 2 (silent); with one to chat
    3 (no settings) and chat 4 (quiet 01:00-02:00, over)."""
    store, standin = quiet_bot.store, quiet_bot.standin
    silent = follow(store, 2, ["AI"])
    store.settings.save(silent, FeedSettings(silent=True))
    follow(store, 3, ["AI"])
    night = follow(store, 4, ["AI"])
    store.settings.save(night, FeedSettings(quiet_start=60, quiet_end=120))
    for feed in (silent, night):
        quiet_bot.bot.sender.feeds.changed(feed, START)
    standin.say(ADMIN_ID, f"/broadcast {BROADCAST}")

    def broadcast_to(chat: int) -> list[Sent]:
        return [m for m in standin.messages_to(chat) if m.text == BROADCAST]

    await standin.until(lambda: all(broadcast_to(chat) for chat in (1, 2, 3, 4)))
    hushed = {
        chat: broadcast_to(chat)[0].params.get("disable_notification") for chat in range(1, 5)
    }
    assert hushed[1] in (True, "true", "True") and hushed[2] in (True, "true", "True")
    assert hushed[3] is None and hushed[4] is None
    assert quiet_bot.count("held", "broadcast") == 0


async def test_hourly_digest_of_a_silent_feed_goes_on_the_full_hour(
    config: Config, standin: StandIn
) -> None:
    """With an hourly digest, pushes wait for the next full hour and go as one silent message."""
    bot = Bot(config, standin, MovedClock(START + 20 * 60))  # 08:20 UTC
    await bot.start()
    try:
        feed = follow(bot.store, 1, ["AI"])
        bot.store.settings.save(feed, FeedSettings(digest="hourly", silent=True))
        bot.bot.sender.feeds.changed(feed, bot.clock.now)
        bot.publish(article(1))
        bot.publish(article(2))
        await eventually(lambda: bot.count("held") == 2)
        held_until = bot.store.db.execute(
            "SELECT DISTINCT not_before FROM deliveries WHERE state = 'held'"
        ).fetchall()
        assert held_until == [(START + HOUR,)]  # 09:00 UTC
        bot.move(40 * 60)
        await standin.until(lambda: len(standin.messages_to(1)) == 1)
        [digest] = standin.messages_to(1)
        assert (digest.text or "").startswith("Digest: 2 new articles")
        assert digest.params["disable_notification"] in (True, "true", "True")
    finally:
        await bot.stop()


async def test_an_article_withdrawn_before_its_digest_is_left_out(quiet_bot: Bot) -> None:
    """An article unpublished while held is not listed; a digest of nothing is not sent."""
    kept = quiet_bot.publish(article(1))
    gone = quiet_bot.publish(article(2))
    await eventually(lambda: quiet_bot.count("held") == 2)
    FOLLOWING.store_article(
        quiet_bot.store,
        "2.txt",
        FileState(2, 2, "2b"),
        replace(article(2), published=False),
        queue=True,
    )
    quiet_bot.move(2 * HOUR + 1)
    await quiet_bot.standin.until(lambda: len(quiet_bot.standin.messages_to(1)) == 1)
    text = quiet_bot.standin.messages_to(1)[0].text or ""
    assert "Story 1" in text and "Story 2" not in text
    assert kept != gone


async def restart_after_the_second_message_failed(quiet_bot: Bot) -> list[str]:
    """Release the held digest, fail its second message, stop and start the bot again,
    wait for the digest to be sent; what went before the stop."""
    standin = quiet_bot.standin
    sends = [0]

    def second_digest_message(method: str, params: dict[str, object]) -> bool:
        if method != "sendMessage":
            return False
        sends[0] += 1
        return sends[0] == 2

    standin.fail_next(second_digest_message, 502, "Bad Gateway")
    quiet_bot.move(2 * HOUR + 1)
    await eventually(lambda: len(digests_to(standin, 1)) == 1 and sends[0] >= 2)
    # the failed message waits for its retry on the clock, which does not move: stop now
    await quiet_bot.stop()
    first = digests_to(standin, 1)
    quiet_bot.clock.now += 60
    await quiet_bot.start()
    await eventually(lambda: quiet_bot.count("sent", "digest") == 1)
    return first


async def test_a_long_digest_splits_between_articles_and_survives_a_crash(
    quiet_bot: Bot,
) -> None:
    """A digest over 4096 characters goes as several messages; when the bot stops after
    the first went and the second failed, the restarted bot sends only what is left."""
    long_title = "A long headline about robots " * 9  # ~260 characters each
    for number in range(1, 31):
        quiet_bot.publish(article(number, heat=number, title=f"{number:02d} {long_title}"))
    await eventually(lambda: quiet_bot.count("held") == 30)
    first = await restart_after_the_second_message_failed(quiet_bot)
    messages = digests_to(quiet_bot.standin, 1)
    assert len(messages) >= 2 and messages[0] == first[0]
    listed = [line[2:4] for text in messages for line in text.splitlines() if line[:2] == "• "]
    assert sorted(listed) == [f"{n:02d}" for n in range(1, 31)]  # each exactly once
    assert listed[0] == "30"  # hottest first
    assert all(utf16_len(text) <= TEXT_LIMIT for text in messages)
    assert messages[1].startswith("Digest (continued)")


async def test_a_busy_days_digest_lists_the_hottest_and_counts_the_rest(
    quiet_bot: Bot,
) -> None:
    """Sixty articles held: the digest lists the DIGEST_CAP hottest and closes with how
    many more there are; those are settled with it, not sent later. Stopped after its
    first message went and its second failed, the restarted bot lists only what is left
    of the fifty, so the cap holds across the restart too."""
    assert DIGEST_CAP == 50
    headline = "A long headline about robots " * 4  # ~130 characters a line: two messages
    for number in range(1, 61):
        quiet_bot.publish(article(number, heat=number, title=f"{number:02d} {headline}"))
    await eventually(lambda: quiet_bot.count("held") == 60)
    first = await restart_after_the_second_message_failed(quiet_bot)
    messages = digests_to(quiet_bot.standin, 1)
    assert len(messages) == 2 and messages[0] == first[0]
    assert messages[0].startswith("Digest: 60 new articles")
    listed = [line[2:4] for text in messages for line in text.splitlines() if line[:2] == "• "]
    assert listed == [f"{n:02d}" for n in range(60, 10, -1)]  # hottest first, each once
    assert messages[-1].splitlines()[-1] == "… and 10 more articles: /latest"
    assert all(utf16_len(text) <= TEXT_LIMIT for text in messages)
    unmarked = quiet_bot.store.db.execute(
        "SELECT COUNT(*) FROM digest_items WHERE message_id IS NULL"
    ).fetchone()[0]
    assert unmarked == 0


async def test_a_digest_message_sent_while_the_database_is_locked_is_not_sent_again(
    quiet_bot: Bot,
) -> None:
    """Another process takes the write lock while a digest message is on the wire: the
    mark of what it listed waits for the lock with the row's other writes, and the
    digest is not sent a second time once the lock goes."""
    for number in (1, 2):
        quiet_bot.publish(article(number))
    await eventually(lambda: quiet_bot.count("held") == 2)
    standin, sender = quiet_bot.standin, quiet_bot.bot.sender
    standin.slow_next(lambda method, params: method == "sendMessage", 0.3)
    quiet_bot.store.db.execute("PRAGMA busy_timeout = 100")  # meet the lock quickly
    quiet_bot.move(2 * HOUR + 1)
    await standin.until(lambda: len(digests_to(standin, 1)) == 1)  # on the wire
    other = sqlite3.connect(quiet_bot.config.db_path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        await eventually(lambda: bool(sender.problems()))
        other.execute("ROLLBACK")
    finally:
        other.close()
    await eventually(lambda: not sender.problems())
    quiet_bot.move(HOUR)  # any retry would be due by now
    await eventually(lambda: quiet_bot.count("sent", "digest") == 1)
    assert len(digests_to(standin, 1)) == 1


def test_render_digest_splits_on_item_boundaries_within_the_limit() -> None:
    """Every part fits in 4096 and lists whole items, in order, each once."""
    items = [
        StoredArticle(n, article(n, title=f"{n} " + "x" * 300), f"{n}.txt", True, 0.0)
        for n in range(1, 40)
    ]
    parts = render_digest(items, "Digest: 39 new articles")
    assert len(parts) > 1
    assert [i for _, ids in parts for i in ids] == list(range(1, 40))
    for html, ids in parts:
        assert visible_len(html) <= TEXT_LIMIT  # what Telegram counts: the visible text
        assert html.count("<a href=") == len(ids)


def test_render_digest_ends_with_its_closing_line_within_the_limit() -> None:
    """The closing line ends the last message, or starts one of its own when the last is
    full; with no article left to list it follows the heading alone."""
    heading, closing = "Digest (continued)", "… and 5 more articles: /latest"
    items = [
        StoredArticle(n, article(n, title=f"{n} " + "x" * 300), f"{n}.txt", True, 0.0)
        for n in range(1, 40)
    ]
    parts = render_digest(items, heading, closing)
    assert parts[-1][0].endswith("\n" + closing)
    assert [i for _, ids in parts for i in ids] == list(range(1, 40))
    assert all(visible_len(html) <= TEXT_LIMIT for html, _ in parts)

    def last(pad: int) -> StoredArticle:
        long = replace(article(99, title="y" * 300), provider=Provider("p" * pad))
        return StoredArticle(99, long, "99.txt", True, 0.0)

    def brimful(pad: int) -> list[tuple[str, list[int]]]:
        return render_digest([*items[:12], last(pad)], heading)

    # a last article whose line leaves no room for the closing line in the one message
    pad = next(
        pad
        for pad in range(1, 101)
        if len(brimful(pad)) == 1 and visible_len(brimful(pad)[0][0]) + len(closing) >= TEXT_LIMIT
    )
    parts = render_digest([*items[:12], last(pad)], heading, closing)
    assert parts == [*brimful(pad), (closing, [])]
    assert render_digest([], heading, closing) == [(f"<b>{heading}</b>\n{closing}", [])]


async def test_a_digest_is_headed_in_its_feeds_language(quiet_bot: Bot) -> None:
    """A digest has no user to take a language from: its heading follows the feed's setting."""
    feed = quiet_bot.store.feeds.ensure(1)
    settings = quiet_bot.store.settings.get(feed.id)
    quiet_bot.store.settings.save(feed.id, replace(settings, language="ru"))
    quiet_bot.bot.sender.feeds.changed(feed.id, START)
    for number in (1, 2):
        quiet_bot.publish(article(number))
    await eventually(lambda: quiet_bot.count("held") == 2)
    quiet_bot.move(2 * HOUR + 1)
    await quiet_bot.standin.until(lambda: len(quiet_bot.standin.messages_to(1)) == 1)
    assert digests_to(quiet_bot.standin, 1)[0].splitlines()[0] == "Дайджест: 2 новые статьи"


async def test_a_digest_whose_last_message_went_before_a_crash_is_settled_as_sent(
    store: Store, standin: StandIn
) -> None:
    """The bot died after the digest's last message was marked, before the row was:
    after the restart the row is sent, with that message, and nothing goes again (it
    was cancelled, seen only in /stats)."""
    follow(store, 5, ["AI"])
    FOLLOWING.store_article(store, "1.txt", FileState(1, 1, "1"), article(1), queue=True)
    [(push,)] = store.db.execute("SELECT id FROM deliveries").fetchall()
    assert store.outbox.hold(push, START, START)
    assert store.digests.release_due(START) == 1
    [(digest, items)] = store.db.execute(
        "SELECT d.id, COUNT(*) FROM deliveries d JOIN digest_items i ON i.delivery_id = d.id "
        "WHERE d.kind = 'digest' GROUP BY d.id"
    ).fetchall()
    assert store.outbox.claim(digest, START)  # in flight when the bot died ...
    [article_id] = [a for (a,) in store.db.execute("SELECT article_id FROM digest_items")]
    store.digests.mark_items_sent(digest, [article_id], 77)  # ... after its last message

    def settled() -> tuple[str, int | None]:
        row = store.db.execute(
            "SELECT state, message_id FROM deliveries WHERE id = ?", [digest]
        ).fetchone()
        return row[0], row[1]

    clock = MovedClock(START + 60)
    async with sending(store, standin, clock=clock) as sender:
        await eventually(lambda: settled()[0] == "pending")  # taken back at the start
        clock.now += 60  # past the resend delay after a crash
        sender.wake()
        await eventually(lambda: settled()[0] not in ("pending", "sending"))
    assert settled() == ("sent", 77)
    assert standin.messages_to(5) == [] and items == 1
