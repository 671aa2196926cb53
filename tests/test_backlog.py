"""A backlog arrives as one digest: a feed owing more than its `backlog` setting (default
NEWSBOT_BACKLOG_MAX) pushes at once gets them as one digest message, hottest first."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.delivery.digesting import FeedDelivery
from bot.foundation.config import Config
from storage import Article, Store
from storage.settings import FeedSettings
from storage.store import FileState
from tests.conftest import Running, eventually, start_bot, stop_bot, with_settings
from tests.feeds import follow
from tests.publishing import PUBLISHING
from tests.standin import StandIn

ARTICLE = Article(url="https://news.example.com/0", title="Story", topics=("AI",))


def owe(running: Running, count: int) -> None:
    """Queue `count` pushes of new AI articles at once (as after downtime): pushes are
    paused while they are queued, then resumed."""
    store = running.store
    store.flags.set_paused(True)
    for number in range(1, count + 1):
        article = replace(
            ARTICLE, url=f"https://news.example.com/{number}", title=f"Story {number}",
            heat=number * 10 if number % 2 else None,
        )  # fmt: skip
        state = FileState(1, 1, f"s{number}")
        PUBLISHING.store_article(store, f"s{number}.txt", state, article, queue=True)
    store.flags.set_paused(False)
    running.bot.sender.wake()


async def settled(running: Running) -> None:
    await eventually(lambda: running.store.outbox.pending_count() == 0)


async def test_a_backlog_over_the_limit_arrives_as_one_digest(running: Running) -> None:
    """Six pushes owed at once (default limit 5): one digest message, hottest first,
    articles without heat last."""
    follow(running.store, 1, ["AI"])
    owe(running, 6)
    await running.standin.until(lambda: bool(running.standin.messages_to(1)))
    await settled(running)
    [digest] = running.standin.messages_to(1)
    assert digest.method == "sendMessage" and digest.text is not None
    lines = digest.text.splitlines()
    assert lines[0] == "Digest: 6 new articles"
    assert lines[1:] == [f"• Story {n}" for n in (5, 3, 1, 6, 4, 2)]


async def test_a_backlog_at_the_limit_goes_one_push_each(running: Running) -> None:
    """Two pushes owed (under the default 5): each goes as its own push."""
    follow(running.store, 1, ["AI"])
    owe(running, 2)
    await running.standin.until(lambda: len(running.standin.messages_to(1)) == 2)
    await settled(running)
    assert {m.method for m in running.standin.messages_to(1)} == {"sendMessage"}
    assert not any("Digest" in (m.text or "") for m in running.standin.messages_to(1))


async def test_set_backlog_changes_the_feeds_limit(running: Running) -> None:
    """`/set backlog 1`: two pushes owed already make a digest."""
    follow(running.store, 1, ["AI"])
    assert await running.command(1, "/set backlog 1") == "Backlog is now 1."
    owe(running, 2)
    await running.standin.until(lambda: len(running.standin.messages_to(1)) >= 2)
    await settled(running)
    digest = running.standin.messages_to(1)[-1]
    assert digest.text is not None and digest.text.startswith("Digest: 2 new articles")


@pytest.mark.parametrize("value", ["0", "-3", "1001", "five", "²"])
async def test_set_backlog_refuses_what_is_no_count(running: Running, value: str) -> None:
    """A backlog is 1-1000, off or default: anything else is refused with the reason."""
    reply = await running.command(1, f"/set backlog {value}")
    assert reply.startswith("Cannot set that: backlog is a number of pushes from 1 to 1000")


async def test_backlog_is_in_settings_buttons_and_export(running: Running) -> None:
    """/settings shows the backlog with buttons, and /export writes it."""
    follow(running.store, 1, ["AI"])
    await running.command(1, "/set backlog off")
    await running.command(1, "/settings")
    message = running.standin.messages_to(1)[-1]
    assert "Backlog: off" in (message.text or "")
    rows = message.params["reply_markup"]["inline_keyboard"]
    data = [button["callback_data"] for row in rows for button in row]
    assert {"cfg:backlog:default", "cfg:backlog:3", "cfg:backlog:off"} <= set(data)
    await running.command(1, "/export")
    assert b"backlog: 'off'" in running.standin.messages_to(1)[-1].params["document"]


def test_a_feed_with_backlog_off_gets_every_push_alone(store: Store) -> None:
    """`backlog off`: however many pushes the feed owes, none is gathered."""
    feed = follow(store, 1, ["AI"])
    store.settings.save(feed, FeedSettings(backlog=0))
    for number in range(1, 9):
        article = replace(ARTICLE, url=f"https://news.example.com/{number}")
        PUBLISHING.store_article(store, f"s{number}.txt", FileState(1, 1, f"s{number}"), article,
                                  queue=True)  # fmt: skip
    feeds = FeedDelivery(store, backlog_max=5)
    [row] = store.outbox.ready(1, 2e9)
    assert feeds.backlog_of(feed) == 0 and not feeds.hold(row, 2e9)
    assert store.outbox.pending_count() == 8


@pytest.fixture
async def strict(config: Config, standin: StandIn, articles: Path) -> AsyncIterator[Running]:
    bot, task, stop = await start_bot(with_settings(config, backlog_max=2), standin)
    yield Running(bot, standin, articles)
    await stop_bot(bot, task, stop)


async def test_the_operators_backlog_max_is_the_default(strict: Running) -> None:
    """NEWSBOT_BACKLOG_MAX=2: three pushes owed at once make a digest."""
    follow(strict.store, 1, ["AI"])
    owe(strict, 3)
    await strict.standin.until(lambda: bool(strict.standin.messages_to(1)))
    await settled(strict)
    [digest] = strict.standin.messages_to(1)
    assert digest.text is not None and digest.text.startswith("Digest: 3 new articles")
