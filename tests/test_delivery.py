"""Every reply Telegram can give to a push, through python-telegram-bot and the stand-in."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from bot.foundation.backoff import Backoff
from bot.foundation.config import Config
from storage import Article, Image
from storage.store import Change, FileState
from tests.conftest import ADMIN_ID, Running, eventually, start_bot, stop_bot, with_settings
from tests.feeds import feed_of, follows
from tests.feeds import follow as follow_feed
from tests.outbox import ARTICLE
from tests.publishing import FOLLOWING
from tests.standin import StandIn


def follow(running: Running, *chats: int) -> None:
    for chat in chats:
        follow_feed(running.store, chat, ["AI"], "private" if chat > 0 else "group")


def publish(running: Running, article: Article = ARTICLE, path: str = "a.txt") -> int:
    change = FOLLOWING.store_article(
        running.store, path, FileState(1, 1, path), article, queue=True
    )
    running.bot.sender.wake()
    assert change.article_id is not None
    return change.article_id


def states(running: Running) -> dict[int, str]:
    rows = running.store.db.execute(
        "SELECT f.chat_id, d.state FROM deliveries d JOIN feeds f ON f.id = d.feed_id "
        "WHERE d.kind = 'push'"
    )
    return {row[0]: row[1] for row in rows}


def retracted(running: Running) -> set[int]:
    """Chats whose push the bot deleted again."""
    return {edit.chat_id for edit in running.standin.edits if edit.method == "deleteMessage"}


async def settled(running: Running) -> None:
    """Wait until no row is pending or in flight."""
    await eventually(lambda: running.store.outbox.pending_count() == 0)


async def test_blocked_chat_is_marked_inactive_and_gets_nothing_more(running: Running) -> None:
    running.standin.blocked[5] = "Forbidden: bot was blocked by the user"
    follow(running, 5, 6)
    publish(running)
    await settled(running)
    assert states(running) == {5: "failed", 6: "sent"}
    chat = running.store.chats.get(5)
    assert chat is not None and not chat.active
    publish(running, replace(ARTICLE, url="https://news.example.com/b"), "b.txt")
    await settled(running)
    assert [m.chat_id for m in running.standin.sent if m.method == "sendPhoto"] == [6, 6]


async def test_blocked_chat_comes_back_when_it_talks_again(running: Running) -> None:
    running.standin.blocked[5] = "Forbidden: user is deactivated"
    follow(running, 5)
    publish(running)
    await settled(running)
    del running.standin.blocked[5]
    await running.command(5, "/start")
    chat = running.store.chats.get(5)
    assert chat is not None and chat.active


async def test_chat_not_found_is_treated_as_gone(running: Running) -> None:
    running.standin.missing.add(8)
    follow(running, 8)
    publish(running)
    await settled(running)
    chat = running.store.chats.get(8)
    assert chat is not None and not chat.active


async def test_migrated_group_moves_and_the_push_is_resent_there(running: Running) -> None:
    running.standin.migrated[-300] = -1000300
    follow(running, -300)
    publish(running)
    await settled(running)
    assert [m.chat_id for m in running.standin.sent] == [-1000300]
    assert follows(running.store, -1000300) == (False, ["ai"])
    assert states(running) == {-1000300: "sent"}


async def test_refused_image_goes_out_as_text_with_link_preview(running: Running) -> None:
    follow(running, 9)
    bad = replace(ARTICLE, images=(Image("https://img.example.com/bad-image.jpg", 800, 450),))
    publish(running, bad)
    await settled(running)
    [message] = running.standin.messages_to(9)
    assert message.method == "sendMessage"
    assert message.text is not None and "Robots fold laundry" in message.text
    assert message.params["link_preview_options"]["url"] == ARTICLE.url
    assert states(running) == {9: "sent"}


async def test_refused_markup_is_retried_once_as_plain_text(
    running: Running, caplog: pytest.LogCaptureFixture
) -> None:
    running.standin.fail_next(
        lambda method, params: method == "sendPhoto",
        400,
        'Bad Request: can\'t parse entities: unsupported start tag "foo"',
    )
    follow(running, 10)
    publish(running)
    await settled(running)
    [message] = running.standin.messages_to(10)
    assert message.method == "sendMessage" and "parse_mode" not in message.params
    assert message.text is not None and message.text.startswith("Robots fold laundry")
    assert "Telegram refused our HTML" in caplog.text


async def test_markup_refused_again_as_plain_text_fails_the_row(running: Running) -> None:
    """Plain text is the one retry: refused again, the row fails instead of looping."""
    refusal = 'Bad Request: can\'t parse entities: unsupported start tag "foo"'
    running.standin.fail_next(lambda method, params: method == "sendPhoto", 400, refusal)
    running.standin.fail_next(lambda method, params: method == "sendMessage", 400, refusal)
    follow(running, 13)
    publish(running)
    await settled(running)
    assert running.standin.messages_to(13) == []
    assert states(running) == {13: "failed"}


async def test_flood_reply_holds_only_that_chat_and_retries_after_the_wait(
    running: Running,
) -> None:
    follow(running, 11, 12)
    running.standin.fail_next(
        lambda method, params: method == "sendPhoto" and int(params["chat_id"]) == 11,
        429,
        "Too Many Requests: retry after 1",
    )
    started = time.monotonic()
    publish(running)
    await settled(running)
    sent = {m.chat_id: m.at for m in running.standin.sent}
    assert set(sent) == {11, 12}
    assert sent[11] - started >= 1.0  # waited out retry_after
    assert sent[12] < sent[11]  # chat 12 was not held


async def test_server_errors_are_retried_with_backoff(running: Running) -> None:
    running.bot.sender.outcomes.retries = Backoff(0.05, 300.0)  # 0.05 s, then 0.1 s: not 1, 2
    follow(running, 13)
    for _ in range(2):
        running.standin.fail_next(lambda method, params: method == "sendPhoto", 502, "Bad Gateway")
    publish(running)
    await settled(running)
    assert states(running) == {13: "sent"}
    attempts = running.store.db.execute("SELECT attempts FROM deliveries").fetchone()[0]
    assert attempts == 3


async def test_withdrawn_article_is_never_sent_after_the_cancel(running: Running) -> None:
    running.store.flags.set_paused(True)
    follow(running, 14)
    publish(running)
    FOLLOWING.store_article(
        running.store,
        "a.txt",
        FileState(1, 2, "other"),
        replace(ARTICLE, published=False),
        queue=True,
    )
    running.store.flags.set_paused(False)
    running.bot.sender.wake()
    await settled(running)
    assert running.standin.messages_to(14) == []
    assert states(running) == {14: "cancelled"}


async def test_paused_pushes_wait_and_go_out_on_resume(running: Running) -> None:
    running.store.flags.set_paused(True)
    follow(running, 15)
    publish(running)
    running.bot.sender.wake()
    await eventually(lambda: not running.bot.sender._wake.is_set())  # it looked, and held
    assert running.standin.messages_to(15) == []
    assert states(running) == {15: "pending"}
    running.store.flags.set_paused(False)
    running.bot.sender.wake()
    await settled(running)
    assert states(running) == {15: "sent"}


async def test_command_reply_overtakes_a_big_fan_out(running: Running) -> None:
    """During a fan-out to 90 chats (3 s at 30/s), /latest is answered before the pushes
    that were queued when it was asked."""
    follow(running, *range(2000, 2090))
    publish(running)
    await eventually(lambda: len(running.standin.sent) >= 10)
    await running.command(3000, "/latest")
    await eventually(lambda: running.store.outbox.pending_count() == 0)
    order = [m.chat_id for m in running.standin.sent]
    # by order, not by the clock: most of the fan-out went out after the reply
    assert len(order) - order.index(3000) - 1 > 30


async def test_edit_during_a_fan_out_cancels_nothing(running: Running) -> None:
    """An edit re-renders the pushes still to go, and queues edits (a minute later) of
    those that went; every chat still gets the article."""
    follow(running, *range(300, 320))
    publish(running)
    await eventually(lambda: len(running.standin.sent) >= 3)
    edited = replace(ARTICLE, title="Robots fold laundry, better")
    change = FOLLOWING.store_article(
        running.store, "a.txt", FileState(1, 2, "edit"), edited, queue=True
    )
    running.bot.watcher.on_change(change)
    await eventually(lambda: set(states(running).values()) == {"sent"})
    assert any("better" in (m.text or "") for m in running.standin.sent)
    assert 1 <= change.followups < 20  # the pushes marked sent by then


async def test_unpublish_during_a_fan_out_stops_what_has_not_gone(running: Running) -> None:
    """Pushes not yet sent are cancelled; every message that did arrive, including those
    in flight at that moment, is recorded as sent and retracted."""
    follow(running, *range(400, 430))
    publish(running)
    await eventually(lambda: len(running.standin.sent) >= 3)
    change = FOLLOWING.store_article(
        running.store,
        "a.txt",
        FileState(1, 2, "off"),
        replace(ARTICLE, published=False),
        queue=True,
    )
    running.bot.watcher.on_change(change)
    await settled(running)
    received = {m.chat_id for m in running.standin.sent}
    assert 3 <= len(received) < 30
    rows = states(running)
    assert {rows[chat] for chat in range(400, 430) if chat not in received} == {"cancelled"}
    # a push in flight when the article went is finished, recorded as sent, and taken back
    assert {rows[chat] for chat in received} == {"sent"}
    await eventually(lambda: retracted(running) == received)


async def withdrawn_on_the_wire(running: Running, chat: int, answer_in: float) -> Change:
    """The article pushed to `chat` and unpublished by the writer while the push's request
    is with Telegram (answered in `answer_in` s); the change, its callback not yet run."""
    follow(running, chat)
    running.standin.slow_next(lambda method, params: method == "sendPhoto", answer_in)
    publish(running)
    await eventually(lambda: len(running.standin.messages_to(chat)) == 1)  # on the wire
    return FOLLOWING.store_article(
        running.store,
        "a.txt",
        FileState(1, 2, "off"),
        replace(ARTICLE, published=False),
        queue=True,
    )


async def test_a_push_on_the_wire_when_its_article_goes_is_recorded_sent_and_retracted(
    running: Running,
) -> None:
    """A push whose request already reached Telegram when the article was unpublished is
    not recorded as cancelled (its message arrived): it is marked sent, then deleted."""
    change = await withdrawn_on_the_wire(running, 450, 1.0)
    running.bot.watcher.on_change(change)
    await eventually(lambda: retracted(running) == {450})
    assert states(running) == {450: "sent"}


async def test_a_push_settled_before_the_sender_hears_of_its_withdrawal_is_retracted(
    running: Running,
) -> None:
    """The writer thread withdraws the article while its push is on the wire, and the
    answer is settled before the loop runs the change's callback: the message is still
    taken back (the retraction is queued with the withdrawal, not by the callback)."""
    change = await withdrawn_on_the_wire(running, 452, 0.5)
    await eventually(lambda: states(running) == {452: "sent"})
    running.bot.watcher.on_change(change)  # the callback, late
    await eventually(lambda: retracted(running) == {452})


async def test_a_push_sent_after_an_edit_shows_it_before_the_sender_hears_of_it(
    running: Running,
) -> None:
    """The writer stores an edit while the fan-out goes on, and the sender takes the next
    push before the loop runs the change's callback: that push still shows the edit
    (a push read from the sender's article cache gets no edit of its own)."""
    follow(running, 460, 461)
    running.store.feeds.subscribe(feed_of(running.store, 461), ["Space"])
    # chat 461 is busy with an older push while chat 460 gets the article
    running.standin.slow_next(lambda method, params: int(params["chat_id"]) == 461, 1.0)
    running.standin.slow_next(lambda method, params: int(params["chat_id"]) == 460, 1.0)
    earlier = replace(ARTICLE, url="https://news.example.com/s", topics=("Space",))
    publish(running, earlier, "s.txt")
    publish(running)
    await eventually(lambda: len(running.standin.messages_to(460)) == 1)  # read, on the wire
    edited = replace(ARTICLE, title="Robots fold laundry, corrected")
    FOLLOWING.store_article(running.store, "a.txt", FileState(1, 2, "edit"), edited, queue=True)
    # (the change's callback never runs here)
    await eventually(lambda: len(running.standin.messages_to(461)) == 2)
    [_, pushed] = running.standin.messages_to(461)
    assert pushed.text is not None and pushed.text.startswith("Robots fold laundry, corrected")


async def test_a_thread_feed_is_posted_in_its_thread_and_a_chat_feed_without_one(
    running: Running,
) -> None:
    """message_thread_id goes with a push only when its feed is a forum thread."""
    running.store.chats.register(-1001, "supergroup", "Forum")
    thread = running.store.feeds.ensure(-1001, 7)
    running.store.feeds.subscribe(thread.id, ["AI"])
    follow(running, 12)
    publish(running)
    await settled(running)
    [in_thread] = running.standin.messages_to(-1001)
    [in_chat] = running.standin.messages_to(12)
    assert int(in_thread.params["message_thread_id"]) == 7
    assert "message_thread_id" not in in_chat.params


async def test_paid_broadcast_setting_sends_pushes_with_allow_paid_broadcast(
    config: Config, standin: StandIn
) -> None:
    """NEWSBOT_PAID_BROADCAST=true: pushes and admin broadcasts carry allow_paid_broadcast
    (else Telegram holds them to 30/s); command replies never do, and without the setting
    no send does."""
    bot, task, stop = await start_bot(with_settings(config, paid_broadcast=True), standin)
    running = Running(bot, standin, config.articles_dir)
    try:
        follow(running, 31)
        publish(running)
        await settled(running)
        await running.command(31, "/help")
        await running.command(ADMIN_ID, "/broadcast Maintenance tonight")
        await standin.until(lambda: len(standin.messages_to(31)) == 3)
    finally:
        await stop_bot(bot, task, stop)
    push, reply, broadcast = standin.messages_to(31)
    assert push.params.get("allow_paid_broadcast") is True  # a JSON body (bot/chat/requests.py)
    assert broadcast.text == "Maintenance tonight"
    assert broadcast.params.get("allow_paid_broadcast") is True
    assert "allow_paid_broadcast" not in reply.params


async def test_pushes_are_not_paid_broadcasts_by_default(running: Running) -> None:
    """Without the setting, no push asks Telegram for a paid broadcast."""
    follow(running, 32)
    publish(running)
    await settled(running)
    assert "allow_paid_broadcast" not in running.standin.messages_to(32)[0].params
