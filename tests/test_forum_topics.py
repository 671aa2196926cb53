"""Forum topics as feeds of their own, through PTB's real stack and the stand-in."""

from __future__ import annotations

import itertools
import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.foundation.config import Config
from storage import Article
from storage.store import FileState
from tests.conftest import Running, eventually, start_bot, stop_bot
from tests.publishing import FOLLOWING
from tests.standin import FloodRules, Sent, StandIn

FORUM = -1009876543210
ADMIN = 7
THREAD = 42
AI = Article(url="https://news.example.com/ai", title="Robots fold laundry", topics=("AI",))
SPACE = Article(url="https://news.example.com/space", title="A comet returns", topics=("Space",))


@pytest.fixture
async def running(config: Config, standin: StandIn, articles: Path) -> AsyncIterator[Running]:
    """A running bot with a fast group pace, and a forum where user 7 is an administrator."""
    standin.add_chat(FORUM, "supergroup", is_forum=True)
    standin.admins[FORUM].add(ADMIN)
    bot, task, stop = await start_bot(replace(config, rate_group_per_minute=6000.0), standin)
    yield Running(bot, standin, articles)
    await stop_bot(bot, task, stop)


async def in_forum(running: Running, text: str, thread: int | None = None) -> Sent:
    """An admin sends a command in the forum (in a topic when `thread` is given)."""
    before = len(running.standin.messages_to(FORUM))
    running.standin.say(
        FORUM, text, user_id=ADMIN, chat_type="supergroup", title="forum", thread_id=thread
    )
    await running.standin.until(lambda: len(running.standin.messages_to(FORUM)) > before)
    return running.standin.messages_to(FORUM)[before]


def publish(running: Running, *articles: Article) -> None:
    for article in articles:
        slug = article.url.rpartition("/")[2]
        FOLLOWING.store_article(running.store, slug, FileState(1, 1, slug), article, queue=True)
    running.bot.sender.wake()


async def settled(running: Running) -> None:
    await eventually(lambda: running.store.outbox.pending_count() == 0)


def pushes(running: Running) -> list[tuple[str, int | None]]:
    """(title, thread) of every article pushed to the forum."""
    titles = (AI.title, SPACE.title)
    return [
        (title, thread_param(sent))
        for sent in running.standin.messages_to(FORUM)
        for title in titles
        if title in (sent.text or "")
    ]


def thread_param(sent: Sent) -> int | None:
    value = sent.params.get("message_thread_id")
    return None if value is None else int(value)


async def test_subscribe_in_a_topic_makes_it_a_feed_that_gets_only_its_topics(
    running: Running,
) -> None:
    """A topic's feed and General's are separate: each gets its own topics, in its place."""
    reply = await in_forum(running, "/subscribe AI", THREAD)
    assert thread_param(reply) == THREAD  # the answer stays in the topic
    reply = await in_forum(running, "/subscribe Space")
    assert thread_param(reply) is None
    thread_feed = running.store.feeds.find(FORUM, THREAD)
    general = running.store.feeds.find(FORUM)
    assert thread_feed is not None and general is not None
    assert running.store.feeds.subscriptions(thread_feed.id) == (False, ["ai"])
    assert running.store.feeds.subscriptions(general.id) == (False, ["space"])
    publish(running, AI, SPACE)
    await settled(running)
    assert sorted(pushes(running), key=str) == [(SPACE.title, None), (AI.title, THREAD)]


async def test_topic_buttons_carry_their_thread(running: Running) -> None:
    """/topics in a topic shows buttons that toggle that topic's feed, not General's."""
    publish(running, AI)
    await settled(running)
    sent = await in_forum(running, "/topics", THREAD)
    data = sent.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    assert data == f">{FORUM}.{THREAD}|sub:0:AI"
    running.standin.press(FORUM, data, user_id=ADMIN, chat_type="supergroup")
    await eventually(lambda: running.store.feeds.find(FORUM, THREAD) is not None)
    feed = running.store.feeds.find(FORUM, THREAD)
    assert feed is not None
    await eventually(lambda: running.store.feeds.subscriptions(feed.id) == (False, ["ai"]))
    general = running.store.feeds.find(FORUM)
    assert general is not None and running.store.feeds.subscriptions(general.id) == (False, [])


async def test_deleted_topic_falls_back_to_general_once_without_losing_the_push(
    running: Running, caplog: pytest.LogCaptureFixture
) -> None:
    """'message thread not found' moves the feed to General with one log line; the push
    arrives there once, and later ones go to General directly."""
    await in_forum(running, "/subscribe AI", THREAD)
    running.standin.gone_threads.add((FORUM, THREAD))
    with caplog.at_level(logging.INFO, logger="bot.delivery.sender"):
        publish(running, AI)
        await settled(running)
        assert pushes(running) == [(AI.title, None)]
        assert running.store.feeds.find(FORUM, THREAD) is None
        general = running.store.feeds.find(FORUM)
        assert general is not None
        assert running.store.feeds.subscriptions(general.id) == (False, ["ai"])
        publish(running, replace(AI, url="https://news.example.com/ai-2"))
        await settled(running)
    assert pushes(running) == [(AI.title, None), (AI.title, None)]
    gone = [r for r in caplog.records if "is gone" in r.getMessage()]
    assert [r.getMessage() for r in gone] == [
        f"thread {THREAD} of chat {FORUM} is gone; its feed moved to General (1 queued pushes)"
    ]


async def test_deleted_topic_does_not_double_a_push_general_has_too(running: Running) -> None:
    """When General follows the same topic, the fallen-back push is not sent a second time."""
    await in_forum(running, "/subscribe AI", THREAD)
    await in_forum(running, "/subscribe AI")
    running.standin.gone_threads.add((FORUM, THREAD))
    publish(running, AI)
    await settled(running)
    assert pushes(running) == [(AI.title, None)]
    assert running.store.feeds.find(FORUM, THREAD) is None


async def test_all_topics_of_a_forum_share_its_pace(
    config: Config, standin: StandIn, articles: Path
) -> None:
    """Pushes to three feeds of one forum go one chat-interval apart, with no 429."""
    standin.flood = FloodRules(group_per_minute=600)
    bot, task, stop = await start_bot(replace(config, rate_group_per_minute=600.0), standin)
    try:
        bot.store.chats.register(FORUM, "supergroup", "forum")
        for thread in (0, 1, 2):
            bot.store.feeds.subscribe(bot.store.feeds.ensure(FORUM, thread).id, ["ai"])
        publish(Running(bot, standin, articles), AI)
        await eventually(lambda: len(standin.messages_to(FORUM)) == 3)
    finally:
        await stop_bot(bot, task, stop)
    times = [sent.at for sent in standin.messages_to(FORUM)]
    assert sorted(thread_param(sent) or 0 for sent in standin.messages_to(FORUM)) == [0, 1, 2]
    assert all(b - a >= 0.09 for a, b in itertools.pairwise(times))  # 0.103 s less jitter
    assert standin.stats.flood_replies == 0
