"""Messages follow their article: edits, retractions and story threads, end to end.

A real folder and watcher, the real sender and python-telegram-bot, the stand-in
checking that each edit or deletion is of a message of the bot's in that chat. The
sender's clock is injected: tests move it past the one-minute coalescing of edits.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from bot.delivery.following import DELETE_WINDOW
from bot.foundation.config import Config
from bot.wiring import build_newsbot
from storage import open_store
from storage.followups import EDIT_INTERVAL
from storage.models import StoredArticle
from tests.articles import write_article
from tests.conftest import ADMIN_ID, Running, eventually, stop_bot
from tests.feeds import follow
from tests.standin import StandIn

URL = "https://news.example.com/robots-laundry"
IMAGE = {"url": "https://img.example.com/robot.jpg", "width": 800, "height": 450}


class Clock:
    """Wall time plus an offset that a test moves forward."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@dataclass
class Following:
    running: Running
    clock: Clock
    task: asyncio.Task[None]
    stop: asyncio.Event

    @property
    def standin(self) -> StandIn:
        return self.running.standin

    def write(self, **fields: Any) -> None:
        write_article(self.running.articles / "a.txt", **fields)

    def rows(self, kind: str) -> list[tuple[int, str]]:
        return list(
            self.running.store.db.execute(
                "SELECT f.chat_id, d.state FROM deliveries d JOIN feeds f ON f.id = d.feed_id "
                "WHERE d.kind = ? ORDER BY d.id",
                [kind],
            )
        )

    def title(self) -> str:
        row = self.running.store.db.execute("SELECT title FROM articles WHERE url = ?", [URL])
        return str(row.fetchone()[0])

    async def edits_due(self) -> None:
        """Move the sender's clock past the coalescing minute and wait for the queue."""
        self.clock.advance(EDIT_INTERVAL + 1)
        self.running.bot.sender.wake()
        await eventually(lambda: self.running.store.outbox.pending_count() == 0)


async def start_following(config: Config, standin: StandIn, articles: Path) -> Following:
    clock = Clock()
    store = open_store(config.db_path, exclusive=True)
    bot = build_newsbot(config, store, clock=clock)
    stop = asyncio.Event()
    task = asyncio.create_task(bot.run(stop))
    await standin.until(lambda: any(m == "setMyCommands" for m, _ in standin.calls))
    await eventually(lambda: bot.watcher.alive and bot.sender.alive and bot.telegram_polling)
    return Following(Running(bot, standin, articles), clock, task, stop)


@pytest.fixture
async def live(config: Config, standin: StandIn, articles: Path) -> AsyncIterator[Following]:
    following = await start_following(config, standin, articles)
    yield following
    await stop_bot(following.running.bot, following.task, following.stop)


async def pushed(live: Following, *chats: int, **fields: Any) -> dict[int, int]:
    """Follow AI in each chat, write the article, wait for its pushes: chat -> message id."""
    for chat in chats:
        follow(live.running.store, chat, ["AI"])
    live.write(**fields)
    await live.standin.until(lambda: all(live.standin.messages_to(c) for c in chats))
    await eventually(lambda: live.rows("push") == [(c, "sent") for c in chats])
    return {c: live.standin.messages_to(c)[0].message_id for c in chats}


async def test_edited_headline_edits_each_chats_message_once(live: Following) -> None:
    """A new title reaches every chat that got the push, as one caption edit each."""
    sent = await pushed(live, 5, 6)
    live.write(title="Robots learn to fold laundry, fast")
    await eventually(lambda: live.rows("edit") == [(5, "pending"), (6, "pending")])
    assert not live.standin.edits  # coalescing: nothing before the minute is up
    await live.edits_due()
    for chat in (5, 6):
        [edit] = live.standin.edits_to(chat)
        assert edit.method == "editMessageCaption" and edit.message_id == sent[chat]
        assert edit.text is not None and edit.text.startswith("Robots learn to fold laundry, fast")
    assert live.rows("edit") == [(5, "sent"), (6, "sent")]


async def test_three_edits_within_a_minute_make_one_edit_with_the_last(live: Following) -> None:
    """Rapid edits coalesce: one edit per message, carrying the latest version."""
    await pushed(live, 5)
    for number in (1, 2, 3):
        live.write(title=f"Robots fold laundry, take {number}")
        await eventually(lambda n=number: live.title().endswith(f"take {n}"))
        live.clock.advance(15)
    await live.edits_due()
    [edit] = live.standin.edits_to(5)
    assert edit.text is not None and edit.text.startswith("Robots fold laundry, take 3")
    assert live.rows("edit") == [(5, "sent")]


async def test_a_second_edit_waits_a_minute_after_the_first(live: Following) -> None:
    """At most one edit per message per minute, even when changes keep coming."""
    await pushed(live, 5)
    live.write(title="First fix")
    await eventually(lambda: live.rows("edit") == [(5, "pending")])
    await live.edits_due()
    live.write(title="Second fix")
    await eventually(lambda: live.rows("edit") == [(5, "sent"), (5, "pending")])
    [(not_before, first_at)] = live.running.store.db.execute(
        "SELECT MAX(not_before), MIN(updated_at) FROM deliveries WHERE kind = 'edit'"
    )
    assert not_before >= first_at + EDIT_INTERVAL
    await live.edits_due()
    assert [e.text.split("\n")[0] for e in live.standin.edits_to(5) if e.text] == [
        "First fix",
        "Second fix",
    ]


async def test_new_image_replaces_the_photo_and_a_lost_one_keeps_it(live: Following) -> None:
    """A changed image is an editMessageMedia; no image at all keeps the photo, new caption."""
    await pushed(live, 5)
    new_image = {**IMAGE, "url": "https://img.example.com/robot-2.jpg"}
    live.write(images=[new_image])
    await eventually(lambda: live.rows("edit") == [(5, "pending")])
    await live.edits_due()
    live.write(images=None, title="Robots, no picture")
    await eventually(lambda: len(live.rows("edit")) == 2)
    await live.edits_due()
    media, caption = live.standin.edits_to(5)
    assert media.method == "editMessageMedia" and media.photo == new_image["url"]
    assert caption.method == "editMessageCaption" and caption.photo == new_image["url"]
    assert caption.text is not None and caption.text.startswith("Robots, no picture")


async def test_refused_new_image_falls_back_to_a_caption_edit(live: Following) -> None:
    """A new image Telegram cannot fetch: the photo stays, the caption gets the new words."""
    sent = await pushed(live, 5)
    live.write(images=[{**IMAGE, "url": "https://img.example.com/bad-image.jpg"}], title="New")
    await eventually(lambda: live.rows("edit") == [(5, "pending")])
    await live.edits_due()
    assert [m for m, _ in live.standin.calls if m.startswith("edit")] == [
        "editMessageMedia",
        "editMessageCaption",
    ]
    [edit] = live.standin.edits_to(5)
    assert edit.method == "editMessageCaption" and edit.message_id == sent[5]
    assert edit.photo == IMAGE["url"] and edit.text is not None and edit.text.startswith("New")
    assert live.rows("edit") == [(5, "sent")]


async def test_text_push_is_edited_as_text(live: Following) -> None:
    """A push sent as text (no image) is edited with editMessageText and its link preview."""
    await pushed(live, 5, images=None)
    live.write(images=None, excerpt="Now with towels.")
    await eventually(lambda: live.rows("edit") == [(5, "pending")])
    await live.edits_due()
    [edit] = live.standin.edits_to(5)
    assert edit.method == "editMessageText" and edit.text is not None
    assert "Now with towels." in edit.text
    assert edit.params["link_preview_options"]["url"] == URL


async def test_a_change_the_push_does_not_show_edits_nothing(live: Following) -> None:
    """Quality is not shown: no edit is queued, and no request is made."""
    await pushed(live, 5)
    live.write(quality=90)
    await eventually(lambda: _article(live).article.quality == 90)
    await live.edits_due()
    assert live.rows("edit") == [] and live.standin.edits == []


async def test_unpublish_deletes_the_sent_messages(live: Following) -> None:
    """Withdrawn within 48 hours: each sent message is deleted; /stats counts them."""
    sent = await pushed(live, 5, 6)
    live.write(published=False)
    await live.standin.until(lambda: len(live.standin.edits) == 2)
    assert {(e.method, e.chat_id, e.message_id) for e in live.standin.edits} == {
        ("deleteMessage", 5, sent[5]),
        ("deleteMessage", 6, sent[6]),
    }
    assert (5, sent[5]) not in live.standin.bot_messages
    await eventually(lambda: live.rows("retract") == [(5, "sent"), (6, "sent")])
    reply = await live.running.command(ADMIN_ID, "/stats")
    assert "Retractions: 2 sent, 0 pending" in reply and "Edits of sent pushes: 0 sent" in reply


def past_deleting(live: Following, chat: int, message_id: int) -> None:
    """The chat's push, in our records and at Telegram, an hour past the 48 hours in
    which it could be deleted."""
    live.running.store.db.execute(
        "UPDATE deliveries SET updated_at = updated_at - ? WHERE kind = 'push' "
        "AND feed_id = (SELECT id FROM feeds WHERE chat_id = ?)",
        [DELETE_WINDOW + 3600, chat],
    )
    live.standin.age(chat, message_id, DELETE_WINDOW + 3600)


async def test_message_older_than_48_hours_becomes_a_withdrawn_notice(live: Following) -> None:
    """Unpublished too late to delete: the message is edited to the struck-through title,
    no excerpt."""
    sent = await pushed(live, 5)
    past_deleting(live, 5, sent[5])
    live.write(published=False)
    await live.standin.until(lambda: len(live.standin.edits) == 1)
    [edit] = live.standin.edits
    assert edit.method == "editMessageCaption" and edit.message_id == sent[5]
    assert edit.html is not None and edit.html.startswith("<s>Robots learn to fold laundry</s>")
    assert "folds shirts" not in edit.html


async def test_published_again_it_returns_once_to_each_chat_it_was_withdrawn_from(
    live: Following,
) -> None:
    """A deleted message: a fresh push, once. A withdrawn notice: edited back, once. And
    withdrawn again, the fresh message is deleted in its turn."""
    sent = await pushed(live, 5, 6)
    past_deleting(live, 6, sent[6])
    live.write(published=False)
    await eventually(lambda: live.rows("retract") == [(5, "sent"), (6, "sent")])
    assert [e.method for e in live.standin.edits] == ["deleteMessage", "editMessageCaption"]
    live.write(published=True)
    await live.standin.until(lambda: len(live.standin.messages_to(5)) == 2)
    await live.edits_due()
    again = live.standin.messages_to(5)[1]
    assert again.method == "sendPhoto" and again.message_id != sent[5]
    assert again.text is not None and again.text.startswith("Robots learn to fold laundry")
    notice, restored = live.standin.edits_to(6)
    assert notice.html is not None and notice.html.startswith("<s>")
    assert restored.method == "editMessageCaption" and restored.message_id == sent[6]
    assert restored.text == live.standin.messages_to(6)[0].text
    assert len(live.standin.messages_to(6)) == 1 and live.rows("edit") == [(6, "sent")]
    assert live.rows("push") == [(5, "sent"), (6, "sent")]
    live.write(published=False)
    await live.standin.until(lambda: len(live.standin.edits_to(5)) == 2)
    assert live.standin.edits_to(5)[1].method == "deleteMessage"
    assert live.standin.edits_to(5)[1].message_id == again.message_id


async def test_withdrawn_notice_is_in_the_feeds_language(live: Following) -> None:
    """The notice has no user to take a language from: it speaks the feed's setting."""
    sent = await pushed(live, 5)
    store = live.running.store
    feed = store.feeds.ensure(5)
    store.settings.save(feed.id, replace(store.settings.get(feed.id), language="de"))
    past_deleting(live, 5, sent[5])
    live.write(published=False)
    await live.standin.until(lambda: len(live.standin.edits) == 1)
    [edit] = live.standin.edits
    assert edit.html is not None
    assert edit.html.endswith("<i>Dieser Artikel wurde zurückgezogen.</i>")


async def test_pending_edits_are_cancelled_by_a_retraction(live: Following) -> None:
    """An edit still waiting when the article is withdrawn never goes."""
    await pushed(live, 5)
    live.write(title="A fix nobody will see")
    await eventually(lambda: live.rows("edit") == [(5, "pending")])
    live.write(published=False)
    await eventually(lambda: live.rows("retract") == [(5, "sent")])
    await live.edits_due()
    assert live.rows("edit") == [(5, "cancelled")]
    assert [e.method for e in live.standin.edits] == ["deleteMessage"]


async def test_follow_up_article_replies_to_the_earlier_push_in_each_chat(
    live: Following,
) -> None:
    """A new article listing a pushed one in `related` answers that message, per chat."""
    sent = await pushed(live, 5, 6)
    follow(live.running.store, 7, ["AI"])
    related = [{"title": "Robots learn", "webUrl": URL}]
    write_article(
        live.running.articles / "b.txt",
        webUrl="https://news.example.com/robots-follow-up",
        title="Robots now iron too",
        related=related,
    )
    await live.standin.until(lambda: all(len(live.standin.messages_to(c)) >= 1 for c in (5, 6, 7)))
    await live.standin.until(lambda: len(live.standin.sent) == 5)
    for chat in (5, 6):
        follow_up = live.standin.messages_to(chat)[1]
        assert follow_up.params["reply_parameters"] == {
            "message_id": sent[chat],
            "allow_sending_without_reply": True,
        }
    [only] = live.standin.messages_to(7)
    assert "reply_parameters" not in only.params


async def test_gone_message_and_identical_content_end_the_row(
    live: Following, caplog: pytest.LogCaptureFixture
) -> None:
    """'message to edit not found' is done with a log line; 'not modified' is done."""
    caplog.set_level(logging.INFO, logger="bot.delivery.following")
    sent = await pushed(live, 5, 6)
    del live.standin.bot_messages[(5, sent[5])]  # deleted by a chat admin, say
    # what the pushes show is not on record (sent by an older version): the edits go
    live.running.store.db.execute("UPDATE deliveries SET shown = NULL WHERE kind = 'push'")
    live.write(images=[{**IMAGE, "width": 801}])  # a change the push does not show
    await eventually(lambda: live.rows("edit") == [(5, "pending"), (6, "pending")])
    await live.edits_due()
    assert live.rows("edit") == [(5, "sent"), (6, "sent")]
    assert live.standin.edits == []
    assert [m for m, p in live.standin.calls if m.startswith("edit")] == ["editMessageCaption"] * 2
    assert "Message to edit not found" in caplog.text


async def test_blocked_chat_on_edit_is_marked_gone(live: Following) -> None:
    """A 403 to an edit means the chat is gone, as for a send."""
    await pushed(live, 5)
    live.standin.blocked[5] = "Forbidden: bot was blocked by the user"
    live.write(title="Robots fold faster")
    await eventually(lambda: live.rows("edit") == [(5, "pending")])
    await live.edits_due()
    chat = live.running.store.chats.get(5)
    assert chat is not None and not chat.active
    assert live.rows("edit") == [(5, "failed")]


@pytest.fixture
async def switched_off(
    config: Config, standin: StandIn, articles: Path
) -> AsyncIterator[Following]:
    off = replace(config, follow_edits=False, retract=False, story_threads=False)
    following = await start_following(off, standin, articles)
    yield following
    await stop_bot(following.running.bot, following.task, following.stop)


async def test_switches_turn_edits_retractions_and_threads_off(switched_off: Following) -> None:
    """NEWSBOT_FOLLOW_EDITS, NEWSBOT_RETRACT and NEWSBOT_STORY_THREADS false: none of it."""
    live = switched_off
    await pushed(live, 5)
    live.write(title="A fix")
    await eventually(lambda: live.title() == "A fix")
    write_article(
        live.running.articles / "b.txt",
        webUrl="https://news.example.com/robots-follow-up",
        related=[{"title": "Robots learn", "webUrl": URL}],
    )
    await live.standin.until(lambda: len(live.standin.messages_to(5)) == 2)
    assert "reply_parameters" not in live.standin.messages_to(5)[1].params
    (live.running.articles / "a.txt").unlink()
    await eventually(lambda: live.running.bot.watcher.withdrawals.waiting() == 1)
    live.clock.advance(live.running.bot.config.withdraw_grace + 1)
    await eventually(lambda: not _article(live).visible)
    await live.edits_due()
    assert live.rows("edit") == [] and live.rows("retract") == []
    assert live.standin.edits == []


def _article(live: Following) -> StoredArticle:
    stored = live.running.store.listing.article(1)
    assert stored is not None
    return stored


async def test_compact_push_is_edited_in_its_compact_look(live: Following) -> None:
    """A push sent as the compact line is edited as a compact line, preview still off."""
    store = live.running.store
    feed = follow(store, 5, ["AI"])
    store.settings.save(feed, replace(store.settings.get(feed), format="compact"))
    await pushed(live, 5)
    assert live.standin.messages_to(5)[0].method == "sendMessage"
    live.write(title="Robots fold laundry, compact")
    await eventually(lambda: live.rows("edit") == [(5, "pending")])
    await live.edits_due()
    [edit] = live.standin.edits_to(5)
    assert edit.method == "editMessageText" and edit.text is not None
    assert edit.text.startswith("Robots fold laundry, compact") and "\n" not in edit.text
    assert edit.params["link_preview_options"] == {"is_disabled": True}


async def test_an_edit_while_the_push_is_on_the_wire_reaches_its_message(live: Following) -> None:
    """The push went out with the old title while the article was edited: once it is
    recorded as sent, its message gets the edit like every other."""
    follow(live.running.store, 5, ["AI"])
    live.standin.slow_next(lambda method, params: method == "sendPhoto", 1.5)
    live.write()
    await live.standin.until(lambda: len(live.standin.messages_to(5)) == 1)  # on the wire
    live.write(title="Robots fold laundry, corrected")
    await eventually(lambda: live.title() == "Robots fold laundry, corrected")
    assert live.rows("push") == [(5, "sending")]  # the edit came while the push was out
    await eventually(lambda: live.rows("push") == [(5, "sent")])
    await live.edits_due()
    [edit] = live.standin.edits_to(5)
    assert edit.message_id == live.standin.messages_to(5)[0].message_id
    assert edit.text is not None and edit.text.startswith("Robots fold laundry, corrected")


async def test_a_message_telegram_will_not_delete_becomes_a_withdrawn_notice(
    live: Following,
) -> None:
    """By our clock the message is inside the 48 hours, by Telegram's it is past them (a
    clock that lost time in a suspend, a skew): the refused deletion of an unpublished
    article's message falls back to the notice, rather than leave it showing."""
    sent = await pushed(live, 5)
    live.standin.age(5, sent[5], 48 * 3600 + 60)
    live.write(published=False)
    await live.standin.until(lambda: len(live.standin.edits) == 1)
    assert [m for m, _ in live.standin.calls if m == "deleteMessage"] == ["deleteMessage"]
    [notice] = live.standin.edits
    assert notice.method == "editMessageCaption" and notice.message_id == sent[5]
    assert notice.html is not None and notice.html.startswith("<s>Robots learn to fold laundry")
    # published again, the notice is edited back (it was recorded as a notice)
    live.write()
    await eventually(lambda: live.rows("edit") == [(5, "pending")])
    await live.edits_due()
    assert live.standin.edits_to(5)[-1].text == live.standin.messages_to(5)[0].text
