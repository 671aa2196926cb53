"""Channels and other chats managed with `@chat`, through PTB's real stack and the stand-in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from telegram import Bot

from bot.chat.permissions import ADMIN_CACHE_SECONDS, Permissions
from bot.foundation.config import Config
from bot.foundation.translations import ENGLISH
from storage import Article
from storage.settings import FeedSettings
from storage.store import FileState
from tests.conftest import Running, eventually, start_bot, stop_bot
from tests.feeds import follow, follows
from tests.publishing import FOLLOWING
from tests.standin import TOKEN, StandIn

CHANNEL = -1001234567890
OWNER = 7  # the channel's creator, writing to the bot in private
STRANGER = 8
ARTICLE = Article(
    url="https://news.example.com/robots",
    title="Robots fold laundry",
    excerpt="A robot folds shirts.",
    topics=("AI",),
)


@pytest.fixture
async def running(config: Config, standin: StandIn, articles: Path) -> AsyncIterator[Running]:
    """A running bot with a fast group pace, so that several group messages take no time."""
    fast = replace(config, rate_group_per_minute=6000.0)
    bot, task, stop = await start_bot(fast, standin)
    yield Running(bot, standin, articles)
    await stop_bot(bot, task, stop)


def publish(running: Running, article: Article = ARTICLE) -> None:
    slug = article.url.rpartition("/")[2]
    FOLLOWING.store_article(running.store, slug, FileState(1, 1, slug), article, queue=True)
    running.bot.sender.wake()


async def settled(running: Running) -> None:
    await eventually(lambda: running.store.outbox.pending_count() == 0)


def pushes(running: Running, chat_id: int) -> list[str]:
    return [
        sent.text or ""
        for sent in running.standin.messages_to(chat_id)
        if ARTICLE.title in (sent.text or "")
    ]


async def test_admin_subscribes_a_channel_from_private_and_it_gets_the_push_once(
    running: Running,
) -> None:
    """The channel's creator names it by @username; the push goes to the channel, once."""
    running.standin.add_chat(CHANNEL, "channel", username="robonews", creator=OWNER)
    reply = await running.command(OWNER, "/subscribe @robonews AI")
    assert reply.startswith("Subscribed @robonews to AI.")
    assert follows(running.store, CHANNEL) == (False, ["ai"])
    assert follows(running.store, OWNER) == (False, [])
    publish(running)
    await settled(running)
    assert len(pushes(running, CHANNEL)) == 1
    assert pushes(running, OWNER) == []


async def test_numeric_id_names_a_chat_without_username(running: Running) -> None:
    """`-100...` works where the chat has no username."""
    running.standin.add_chat(CHANNEL, "channel", creator=OWNER)
    reply = await running.command(OWNER, f"/subscriptions {CHANNEL}")
    assert reply == f"channel{CHANNEL} follows: nothing yet (try /topics)"


async def test_non_admin_is_refused_and_nothing_changes(running: Running) -> None:
    """A member who is no administrator is told so, and the channel is not even registered."""
    running.standin.add_chat(CHANNEL, "channel", username="robonews", creator=OWNER)
    reply = await running.command(STRANGER, "/subscribe @robonews AI")
    assert reply == "Sorry: you are not an administrator there."
    assert running.store.chats.get(CHANNEL) is None
    assert follows(running.store, STRANGER) == (False, [])


async def test_admin_is_refused_where_the_bot_may_not_post(running: Running) -> None:
    """An admin of a channel where the bot is not an administrator that may post is told
    which of the two is missing."""
    running.standin.add_chat(
        CHANNEL, "channel", username="robonews", creator=OWNER, bot_may_post=False
    )
    reply = await running.command(OWNER, "/subscribe @robonews AI")
    assert reply == "Sorry: I am not there with the right to post."
    reply = await running.command(STRANGER, "/stop @robonews")
    assert reply == (
        "Sorry: you are not an administrator there and I am not there with the right to post."
    )
    assert running.store.chats.get(CHANNEL) is None


async def test_unknown_or_private_chats_are_refused_in_one_line(running: Running) -> None:
    """A name getChat does not know, or a private chat, is refused; usage errors still show."""
    assert await running.command(OWNER, "/subscribe @nosuchchat AI") == (
        "I cannot find @nosuchchat: check the name."
    )
    running.standin.add_chat(-5, "private", username="someone")
    assert await running.command(OWNER, "/latest @someone") == (
        "Only groups and channels can be named."
    )
    running.standin.add_chat(CHANNEL, "channel", username="robonews", creator=OWNER)
    assert (await running.command(OWNER, "/subscribe @robonews")).startswith("Usage:")
    assert (await running.command(OWNER, "/filter @robonews quality 900")).startswith("Usage:")


async def test_every_chat_scoped_command_acts_on_the_named_chat(running: Running) -> None:
    """/filter, /unsubscribe and /subscriptions change or show the channel (five commands:
    a user may send five at once)."""
    running.standin.add_chat(CHANNEL, "channel", username="robonews", creator=OWNER)
    await running.command(OWNER, "/subscribe @robonews AI, Space")
    await running.command(OWNER, "/filter @robonews mute crypto")
    await running.command(OWNER, "/filter @robonews quality 40")
    assert await running.command(OWNER, "/unsubscribe @robonews Space") == (
        "Unsubscribed from Space."
    )
    assert await running.command(OWNER, "/subscriptions @robonews") == (
        "@robonews follows: ai\nMinimum quality: 40\nMuted words: crypto"
    )
    assert follows(running.store, OWNER) == (False, [])


async def test_latest_and_stop_act_on_the_named_chat(running: Running) -> None:
    """/latest lists the channel's topics; /stop empties the channel's feed, not this one's."""
    running.standin.add_chat(CHANNEL, "channel", username="robonews", creator=OWNER)
    await running.command(OWNER, "/subscribe @robonews AI")
    publish(running)
    await settled(running)
    assert "Robots fold laundry" in await running.command(OWNER, "/latest @robonews 1")
    assert (await running.command(OWNER, "/stop @robonews")).startswith(
        "Stopped: @robonews follows nothing now."
    )
    assert follows(running.store, CHANNEL) == (False, [])
    assert follows(running.store, OWNER) == (False, [])


async def test_topic_buttons_for_a_channel_carry_it_and_check_again_when_pressed(
    running: Running,
) -> None:
    """/topics @chat buttons act on that chat; someone else pressing one changes nothing."""
    publish(running)
    await settled(running)
    running.standin.add_chat(CHANNEL, "channel", username="robonews", creator=OWNER)
    await running.command(OWNER, "/topics @robonews")
    markup = running.standin.messages_to(OWNER)[-1].params["reply_markup"]
    data = markup["inline_keyboard"][0][0]["callback_data"]
    assert data == f">{CHANNEL}.0|sub:0:AI"
    running.standin.press(STRANGER, data)
    await running.standin.until(
        lambda: any(m == "answerCallbackQuery" for m, _ in running.standin.calls)
    )
    answer = next(p for m, p in running.standin.calls if m == "answerCallbackQuery")
    assert answer["text"] == "Sorry: you are not an administrator there."
    assert follows(running.store, CHANNEL) == (False, [])
    running.standin.press(OWNER, data)
    await eventually(lambda: follows(running.store, CHANNEL) == (False, ["ai"]))
    assert follows(running.store, OWNER) == (False, [])


async def test_buttons_in_a_channel_are_judged_by_who_pressed_them(running: Running) -> None:
    """A reader pressing the bot's buttons in a channel changes nothing; an admin may.
    (The channel signs the bot's own post there, so the post's `sender_chat` proves nothing.)"""
    publish(running)
    await settled(running)
    running.standin.add_chat(CHANNEL, "channel", username="robonews", creator=OWNER)
    running.standin.post(CHANNEL, "/topics")
    await running.standin.until(lambda: bool(running.standin.messages_to(CHANNEL)))
    posted = running.standin.messages_to(CHANNEL)[-1]
    data = posted.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    assert data == "sub:0:AI"
    for pressed in (data, "cfg:silent:on"):
        running.standin.press(
            CHANNEL, pressed, user_id=STRANGER, chat_type="channel", message_id=posted.message_id
        )
    await running.standin.until(
        lambda: sum(m == "answerCallbackQuery" for m, _ in running.standin.calls) == 2
    )
    answers = [p.get("text") for m, p in running.standin.calls if m == "answerCallbackQuery"]
    assert answers == ["Only this group's administrators can change that."] * 2
    feed = running.store.feeds.ensure(CHANNEL)
    assert follows(running.store, CHANNEL) == (False, [])
    assert not running.store.settings.get(feed.id).silent
    running.standin.press(
        CHANNEL, data, user_id=OWNER, chat_type="channel", message_id=posted.message_id
    )
    await eventually(lambda: follows(running.store, CHANNEL) == (False, ["ai"]))


async def test_broken_scoped_button_is_answered_as_invalid(running: Running) -> None:
    """Callback data with a mangled chat, or an unknown one, is refused without a change."""
    running.standin.press(OWNER, ">x.y|sub:0:AI")
    running.standin.press(OWNER, ">-42.0|sub:0:AI")
    await running.standin.until(
        lambda: sum(m == "answerCallbackQuery" for m, _ in running.standin.calls) == 2
    )
    texts = [p.get("text") for m, p in running.standin.calls if m == "answerCallbackQuery"]
    assert texts == ["This button is no longer valid."] * 2
    assert running.store.chats.get(-42) is None


async def test_command_posted_in_the_channel_is_handled_and_answered_there(
    running: Running,
) -> None:
    """A channel post `/subscribe AI` subscribes the channel and the reply is a channel post."""
    running.standin.add_chat(CHANNEL, "channel", username="robonews", creator=OWNER)
    running.standin.post(CHANNEL, "/subscribe AI")
    await running.standin.until(lambda: bool(running.standin.messages_to(CHANNEL)))
    assert (running.standin.messages_to(CHANNEL)[0].text or "").startswith("Subscribed to AI.")
    assert follows(running.store, CHANNEL) == (False, ["ai"])


async def test_bot_added_as_channel_admin_registers_it_without_a_greeting(
    running: Running,
) -> None:
    """Promotion to administrator registers the channel; nothing is posted to its readers."""
    running.standin.add_chat(CHANNEL, "channel", username="robonews", creator=OWNER)
    running.standin.membership(CHANNEL, "administrator", chat_type="channel")
    await eventually(lambda: running.store.chats.get(CHANNEL) is not None)
    chat = running.store.chats.get(CHANNEL)
    assert chat is not None and chat.active and chat.type == "channel"
    assert running.standin.messages_to(CHANNEL) == []


async def test_demoted_bot_stops_being_sent_to_and_its_queue_is_cancelled(
    running: Running,
) -> None:
    """Losing the post right deactivates the channel: its queue is cancelled, nothing more
    goes there, and naming it is refused at once (the admin-check cache is dropped); the
    right given back resumes it with its subscriptions."""
    running.standin.add_chat(CHANNEL, "channel", username="robonews", creator=OWNER)
    await running.command(OWNER, "/subscribe @robonews AI")
    await running.command(OWNER, "/subscribe AI")  # a private control that still gets it
    running.store.flags.set_paused(True)
    publish(running)
    running.standin.membership(CHANNEL, "administrator", chat_type="channel", may_post=False)
    await eventually(lambda: not running.store.chats.get(CHANNEL).active)  # type: ignore[union-attr]
    running.store.flags.set_paused(False)
    running.bot.sender.wake()
    await settled(running)
    assert len(pushes(running, OWNER)) == 1
    assert pushes(running, CHANNEL) == []
    # not even tried (the stand-in would refuse it, as Telegram does)
    assert not [
        p for m, p in running.standin.calls if m.startswith("send") and int(p["chat_id"]) == CHANNEL
    ]
    reply = await running.command(OWNER, "/subscriptions @robonews")
    assert reply == "Sorry: I am not there with the right to post."
    running.standin.membership(CHANNEL, "administrator", chat_type="channel")
    await eventually(lambda: running.store.chats.get(CHANNEL).active)  # type: ignore[union-attr]
    reply = await running.command(OWNER, "/subscriptions @robonews")
    assert reply == "@robonews follows: AI"  # promoted again: its subscriptions were kept


async def test_admin_check_is_cached_until_a_membership_changes(running: Running) -> None:
    """A refusal is remembered, but a chat_member update makes the next check ask again."""
    running.standin.add_chat(CHANNEL, "channel", username="robonews", creator=OWNER)
    assert (await running.command(STRANGER, "/subscriptions @robonews")).startswith("Sorry")
    running.standin.admins[CHANNEL].add(STRANGER)  # promoted, but no update told the bot
    assert (await running.command(STRANGER, "/subscriptions @robonews")).startswith("Sorry")
    running.standin.member_changed(CHANNEL, STRANGER, "administrator")
    reply = await running.command(STRANGER, "/subscriptions @robonews")
    assert reply == "@robonews follows: nothing yet (try /topics)"


async def test_unknown_command_in_a_channel_gets_no_public_answer(running: Running) -> None:
    """An unknown command posted in a channel is not answered there, where all would see it."""
    running.standin.add_chat(CHANNEL, "channel", username="robonews", creator=OWNER)
    running.standin.post(CHANNEL, "/frobnicate")
    running.standin.post(CHANNEL, "/subscriptions")
    await running.standin.until(lambda: bool(running.standin.messages_to(CHANNEL)))
    assert [m.text for m in running.standin.messages_to(CHANNEL)] == [
        "This chat follows: nothing yet (try /topics)"
    ]


async def test_admin_answers_are_asked_again_after_a_minute(standin: StandIn) -> None:
    """Telegram's answer about a member is reused for a minute (injected clock), then asked anew."""
    now = [0.0]
    permissions = Permissions(clock=lambda: now[0])
    standin.add_chat(CHANNEL, "channel", creator=OWNER)
    async with Bot(TOKEN, base_url=standin.base_url) as bot:
        assert await permissions.refusal(bot, CHANNEL, OWNER, ENGLISH) is None
        del standin.creators[CHANNEL]
        now[0] = ADMIN_CACHE_SECONDS - 1
        assert await permissions.refusal(bot, CHANNEL, OWNER, ENGLISH) is None
        now[0] = ADMIN_CACHE_SECONDS + 1
        refusal = await permissions.refusal(bot, CHANNEL, OWNER, ENGLISH)
    assert refusal == "Sorry: you are not an administrator there."
    asked = [p for m, p in standin.calls if m == "getChatMember" and int(p["user_id"]) == OWNER]
    assert len(asked) == 2


async def reply_to_document(
    running: Running, chat_id: int, content: bytes, caption: str, count: int = 1
) -> str:
    """A user sends a document with a caption; the first of the bot's `count` answers in
    that chat (an import that changed something answers twice: what changed, and the
    chat as it was)."""
    before = len(running.standin.messages_to(chat_id))
    running.standin.send_document(chat_id, content, caption=caption)
    await running.standin.until(lambda: len(running.standin.messages_to(chat_id)) >= before + count)
    return running.standin.messages_to(chat_id)[before].text or ""


async def test_channel_admin_exports_and_imports_the_channels_settings_from_private(
    running: Running,
) -> None:
    """`/export @channel` sends the channel's feed as a document to the private chat;
    `/import @channel` as its caption, or replied to it, applies one to the channel; the
    admin's own chat is untouched."""
    running.standin.add_chat(CHANNEL, "channel", username="robonews", creator=OWNER)
    await running.command(OWNER, "/subscribe @robonews AI")
    running.store.settings.save(running.store.feeds.ensure(CHANNEL).id, FeedSettings(silent=True))
    running.standin.say(OWNER, "/export @robonews")
    await running.standin.until(
        lambda: any(m.method == "sendDocument" for m in running.standin.messages_to(OWNER))
    )
    [export] = [m for m in running.standin.messages_to(OWNER) if m.method == "sendDocument"]
    assert export.text is not None and "@robonews" in export.text
    document = export.params["document"]
    assert isinstance(document, bytes)
    assert b"topics:\n- ai\n" in document and b"silent: 'on'" in document
    other = b"topics: [Space]\nsettings: {format: compact}\n"
    reply = await reply_to_document(running, OWNER, other, "/import @robonews", 2)
    assert reply == (
        "Imported into @robonews. What changed there:\n• topics: Space\n• settings.format: compact"
    )
    undo = running.standin.messages_to(OWNER)[-1]
    assert undo.text is not None and "/import @robonews to undo it" in undo.text
    assert follows(running.store, CHANNEL) == (False, ["space"])
    channel = running.store.feeds.ensure(CHANNEL).id
    assert running.store.settings.get(channel).format == "compact"
    assert running.store.settings.get(channel).silent  # the document did not name it
    message = running.standin.send_document(OWNER, document)  # no caption: nothing happens
    before = len(running.standin.messages_to(OWNER))
    reply = await running.command(OWNER, "/import @robonews", reply_to=message)
    assert reply.startswith("Imported into @robonews. What changed there:\n• topics: ai")
    await running.standin.until(lambda: len(running.standin.messages_to(OWNER)) == before + 2)
    assert follows(running.store, CHANNEL) == (False, ["ai"])
    assert running.store.settings.get(channel).silent
    assert follows(running.store, OWNER) == (False, [])


async def test_non_admin_cannot_export_import_or_top_a_channel(running: Running) -> None:
    """/export, /import and /top name a channel only for its administrators: anyone else
    gets the one-line reason, no document, and the channel is not changed."""
    running.standin.add_chat(CHANNEL, "channel", username="robonews", creator=OWNER)
    await running.command(OWNER, "/subscribe @robonews AI")
    refused = "Sorry: you are not an administrator there."
    assert await running.command(STRANGER, "/export @robonews") == refused
    bad = b"topics: [Space]\n"
    assert await reply_to_document(running, STRANGER, bad, "/import @robonews") == refused
    assert await running.command(STRANGER, "/top @robonews") == refused
    assert follows(running.store, CHANNEL) == (False, ["ai"])
    assert not any(m.method == "sendDocument" for m in running.standin.messages_to(STRANGER))
    assert not any(m == "getFile" for m, _ in running.standin.calls)


async def test_top_of_a_channel_lists_its_topics_hottest_first(running: Running) -> None:
    """`/top @channel [hours]` lists the articles of the channel's topics, not the admin's."""
    running.standin.add_chat(CHANNEL, "channel", username="robonews", creator=OWNER)
    await running.command(OWNER, "/subscribe @robonews AI")
    follow(running.store, OWNER, ["Space"])
    publish(running, replace(ARTICLE, published_at=datetime.now(UTC) - timedelta(hours=30)))
    assert ARTICLE.title not in await running.command(OWNER, "/top @robonews")  # 24 hours
    reply = await running.command(OWNER, "/top @robonews 48")
    assert reply.startswith("Hottest of the last 48 hours") and ARTICLE.title in reply
    assert ARTICLE.title not in await running.command(OWNER, "/top 48")  # the admin's own
    assert (await running.command(OWNER, "/top @robonews 9999")).startswith(
        "Usage: /top [@chat] [hours]"
    )


async def test_a_negative_count_is_no_chat_id_read_in_silence(running: Running) -> None:
    """`/top -5` named the chat -5 and answered only "I cannot find -5: check the name.",
    though the sender most likely meant a count: a negative number that is no chat, in a
    command that takes a count, gets the command's usage too. A channel's id still names it."""
    running.standin.add_chat(CHANNEL, "channel", username=None, creator=OWNER)
    await running.command(OWNER, f"/subscribe {CHANNEL} AI")
    publish(running)
    assert await running.command(OWNER, "/top -5") == (
        "I cannot find -5: check the name.\nUsage: /top [@chat] [hours], hours from 1 to 720"
    )
    assert await running.command(OWNER, "/latest -3") == (
        "I cannot find -3: check the name.\nUsage: /latest [n], n from 1 to 20"
    )
    # other commands take words, not counts: the chat alone is what is missing
    assert await running.command(OWNER, "/subscribe -5 AI") == "I cannot find -5: check the name."
    assert ARTICLE.title in await running.command(OWNER, f"/top {CHANNEL} 5")
