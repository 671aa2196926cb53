"""Every chat command, refusal and usage error, through PTB's real stack and the stand-in."""

from __future__ import annotations

import logging

import pytest

from bot.chat.catalogue import ADMIN_COMMANDS, SUBSCRIBER_COMMANDS
from bot.foundation.config import Config
from bot.wiring import build_newsbot
from storage import Store
from storage.store import FileState
from tests.chatting import ARTICLE, add, buttons
from tests.conftest import ADMIN_ID, Running, eventually
from tests.feeds import follows
from tests.publishing import FOLLOWING


async def test_start_greets_and_offers_topic_buttons(running: Running) -> None:
    add(running, "One", ("AI",))
    add(running, "Two", ("AI", "Space"))
    reply = await running.command(1, "/start")
    assert reply.startswith("Hello!")
    assert buttons(running, 1) == [("AI (2)", "sub:0:AI"), ("Space (1)", "sub:0:Space")]
    assert running.store.chats.get(1) is not None


async def test_help_lists_every_command_one_line_each(running: Running) -> None:
    reply = await running.command(1, "/help")
    lines = reply.splitlines()
    for name in (
        "start",
        "help",
        "topics",
        "topic",
        "subscribe",
        "unsubscribe",
        "subscriptions",
        "filter",
        "latest",
        "search",
        "top",
        "settings",
        "set",
        "export",
        "import",
        "stop",
    ):
        assert sum(line.startswith(f"/{name} ") for line in lines) == 1
    assert "/broadcast" not in reply


async def test_command_menu_is_registered_with_admin_commands_for_admins(running: Running) -> None:
    menus = running.standin.commands
    default = next(m for m in menus if m["scope"]["type"] == "default")
    admin = next(m for m in menus if m["scope"]["type"] == "chat")
    assert "broadcast" not in {c["command"] for c in default["commands"]}
    assert admin["scope"]["chat_id"] == ADMIN_ID
    assert {"broadcast", "stats", "pause", "resume", "errors"} <= {
        c["command"] for c in admin["commands"]
    }


async def test_topics_lists_counts_and_buttons_toggle_subscription(running: Running) -> None:
    add(running, "One", ("AI",))
    reply = await running.command(1, "/topics")
    assert "AI (1)" in reply
    running.standin.press(1, "sub:0:AI")
    await running.standin.until(
        lambda: any(m == "editMessageReplyMarkup" for m, _ in running.standin.calls)
    )
    assert follows(running.store, 1) == (False, ["ai"])
    edited = [p for m, p in running.standin.calls if m == "editMessageReplyMarkup"][-1]
    assert edited["reply_markup"]["inline_keyboard"][0][0]["text"] == "✅ AI (1)"
    running.standin.press(1, "sub:0:AI")
    await eventually(lambda: follows(running.store, 1) == (False, []))


async def test_topics_are_paged_when_there_are_many(running: Running) -> None:
    for index in range(12):
        add(running, f"Story {index}", (f"Topic{index:02d}",))
    await running.command(1, "/topics")
    labels = buttons(running, 1)
    assert len([b for b in labels if b[1].startswith("sub:")]) == 8
    assert ("Next »", "page:1") in labels


async def test_topic_shows_newest_articles_with_a_subscribe_button(running: Running) -> None:
    add(running, "Older", ("AI",))
    add(running, "Robots", ("Robotics",))
    reply = await running.command(1, "/topic ai")
    assert "Older" in reply and "Robots" not in reply
    assert buttons(running, 1) == [("Subscribe to ai", "one::ai")]
    running.standin.press(1, "one::ai")
    await eventually(lambda: follows(running.store, 1) == (False, ["ai"]))


async def test_topic_without_a_name_gets_usage(running: Running) -> None:
    assert (await running.command(1, "/topic")).startswith("Usage: /topic <name>")


async def test_subscribe_several_case_insensitive_with_did_you_mean(running: Running) -> None:
    add(running, "One", ("Robotics",))
    reply = await running.command(1, "/subscribe AI, robotic")
    assert reply.splitlines()[0] == "Subscribed to AI, robotic."
    assert "No articles about “robotic” yet" in reply and "Did you mean: Robotics?" in reply
    assert follows(running.store, 1) == (False, ["ai", "robotic"])


async def test_subscribe_all_and_unsubscribe_all(running: Running) -> None:
    assert "every topic" in await running.command(1, "/subscribe all")
    assert follows(running.store, 1)[0] is True
    assert "follows nothing" in await running.command(1, "/unsubscribe all")
    assert follows(running.store, 1) == (False, [])


async def test_unsubscribe_reports_what_it_did(running: Running) -> None:
    await running.command(1, "/subscribe AI")
    assert await running.command(1, "/unsubscribe ai") == "Unsubscribed from ai."
    assert "did not follow" in await running.command(1, "/unsubscribe ai")


async def test_subscribe_without_topic_gets_usage(running: Running) -> None:
    assert (await running.command(1, "/subscribe")).startswith("Usage: /subscribe")
    assert (await running.command(1, "/unsubscribe")).startswith("Usage: /unsubscribe")


async def test_subscriptions_shows_topics_and_filters(running: Running) -> None:
    add(running, "One", ("AI",))
    await running.command(1, "/subscribe AI")
    await running.command(1, "/filter quality 50")
    await running.command(1, "/filter mute crypto")
    reply = await running.command(1, "/subscriptions")
    assert reply.splitlines() == [
        "This chat follows: AI",
        "Minimum quality: 50",
        "Muted words: crypto",
    ]


async def test_filters_change_what_is_pushed(running: Running) -> None:
    await running.command(1, "/subscribe AI")
    await running.command(1, "/filter mute laundry")
    feed = running.store.feeds.find(1)
    assert feed is not None and feed.muted == ("laundry",)
    change = FOLLOWING.store_article(
        running.store, "a.txt", FileState(1, 1, "a"), ARTICLE, queue=True
    )
    assert change.queued == 0
    assert "no longer muted" in await running.command(1, "/filter unmute LAUNDRY")
    assert await running.command(1, "/filter clear") == "Filters cleared."


async def test_filter_usage_errors(running: Running) -> None:
    for chat, text in enumerate(
        (
            "/filter",
            "/filter quality",
            "/filter quality 101",
            "/filter quality x",
            "/filter mute",
            "/filter loud noise",
            "/filter clear now",
        ),
        start=100,  # a user each: one user's burst of commands would be slowed down
    ):
        assert (await running.command(chat, text)).startswith("Usage: /filter"), text


async def test_latest_lists_newest_of_the_chats_topics(running: Running) -> None:
    add(running, "Space news", ("Space",))
    add(running, "AI news", ("AI",))
    await running.command(1, "/subscribe AI")
    reply = await running.command(1, "/latest")
    assert "AI news" in reply and "Space news" not in reply
    assert "Space news" in await running.command(2, "/latest 20")  # follows nothing: all topics


async def test_latest_hides_drafts_and_deleted(running: Running) -> None:
    add(running, "Draft", ("AI",), published=False)
    assert await running.command(1, "/latest") == "No articles yet."


async def test_latest_usage_errors(running: Running) -> None:
    for chat, text in enumerate(("/latest 0", "/latest 21", "/latest five", "/latest 1 2"), 100):
        assert (await running.command(chat, text)) == "Usage: /latest [n], n from 1 to 20", text


async def test_search_finds_by_words_newest_first(running: Running) -> None:
    add(running, "Quantum chips arrive", ("Chips",))
    add(running, "Laundry robots", ("AI",))
    reply = await running.command(1, "/search quantum")
    assert "Quantum chips arrive" in reply and "Laundry" not in reply
    assert "Nothing found" in await running.command(1, "/search zebra")
    assert (await running.command(1, "/search")).startswith("Usage: /search")


async def test_stop_ends_all_pushes(running: Running) -> None:
    await running.command(1, "/subscribe AI")
    assert "Stopped" in await running.command(1, "/stop")
    assert follows(running.store, 1) == (False, [])


async def test_unknown_command_points_to_help(running: Running) -> None:
    assert "/help" in await running.command(1, "/frobnicate")


async def test_command_addressed_to_the_bot_by_name_works(running: Running) -> None:
    reply = await running.command(-50, "/latest@news_test_bot", user_id=1, chat_type="group")
    assert reply == "No articles yet."


async def test_group_members_cannot_change_subscriptions(running: Running) -> None:
    reply = await running.command(-50, "/subscribe AI", user_id=7, chat_type="supergroup")
    assert reply == "Sorry, only this group's administrators can change that."
    assert follows(running.store, -50) == (False, [])


async def test_group_admins_can_change_subscriptions(running: Running) -> None:
    running.standin.admins[-50].add(7)
    reply = await running.command(-50, "/subscribe AI", user_id=7, chat_type="supergroup")
    assert reply.startswith("Subscribed to AI")


async def test_group_creator_can_change_subscriptions(running: Running) -> None:
    """Telegram answers "creator", not "administrator", for the group's owner."""
    running.standin.creators[-50] = 8
    reply = await running.command(-50, "/subscribe AI", user_id=8, chat_type="supergroup")
    assert reply.startswith("Subscribed to AI")


async def test_anonymous_admin_writing_as_the_group_may_change_it(running: Running) -> None:
    chat = {"id": -60, "type": "supergroup", "title": "g"}
    running.standin.push_update({"message": {
        "message_id": 5, "date": 0, "chat": chat, "sender_chat": chat,
        "from": {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"},
        "text": "/subscribe AI", "entities": [{"type": "bot_command", "offset": 0, "length": 10}],
    }})  # fmt: skip
    await running.standin.until(lambda: len(running.standin.messages_to(-60)) == 1)
    assert follows(running.store, -60) == (False, ["ai"])


async def test_someone_writing_as_a_channel_may_not_change_a_group(running: Running) -> None:
    """A message sent in a group on behalf of a channel is the channel's: refused as a
    member's would be."""
    reply = await running.command(-61, "/subscribe AI", chat_type="supergroup", as_channel=-62)
    assert reply == "Sorry, only this group's administrators can change that."
    assert follows(running.store, -61) == (False, [])


async def test_admin_commands_are_refused_to_others(running: Running) -> None:
    for chat, command in enumerate(("/stats", "/broadcast hi", "/pause", "/resume", "/errors"), 3):
        assert (
            await running.command(chat, command) == "Sorry, that command is for the bot's admins."
        )
    assert not running.store.flags.paused


async def test_stats_for_admins(running: Running) -> None:
    add(running, "One", ("AI",))
    reply = await running.command(ADMIN_ID, "/stats")
    assert "Articles: 1 listed, 0 drafts" in reply and "Pushes: 0 sent" in reply


async def test_pause_holds_and_resume_releases(running: Running) -> None:
    assert "paused" in await running.command(ADMIN_ID, "/pause")
    assert running.store.flags.paused
    assert "Pushes are paused" in await running.command(ADMIN_ID, "/stats")
    assert "resumed" in await running.command(ADMIN_ID, "/resume")
    assert not running.store.flags.paused


async def test_broadcast_reaches_every_active_chat_once(running: Running) -> None:
    for chat in (11, 12):
        await running.command(chat, "/start")
    reply = await running.command(ADMIN_ID, "/broadcast Maintenance <tonight> & tomorrow")
    assert reply == "Broadcast queued for 2 chats."
    for chat in (11, 12):
        await running.standin.until(lambda: len(running.standin.messages_to(chat)) == 2)  # noqa: B023
        assert running.standin.messages_to(chat)[-1].text == "Maintenance <tonight> & tomorrow"
    assert (await running.command(ADMIN_ID, "/broadcast")).startswith("Usage: /broadcast")


async def test_repeated_update_id_repeats_no_effect(running: Running) -> None:
    """After a crash Telegram re-delivers the last batch: the same /broadcast is not redone."""
    await running.command(11, "/start")
    update_id = running.standin.say(ADMIN_ID, "/broadcast once")
    await running.standin.until(lambda: len(running.standin.messages_to(11)) == 2)
    running.standin.redeliver(update_id)
    await running.command(ADMIN_ID, "/help")  # processed after the repeat
    rows = running.store.db.execute("SELECT COUNT(*) FROM deliveries WHERE kind = 'broadcast'")
    assert rows.fetchone()[0] == 1  # chat 11, once
    assert (
        sum(m.text == "Broadcast queued for 1 chat." for m in running.standin.messages_to(ADMIN_ID))
        == 1
    )


async def test_errors_lists_bad_files_for_admins(running: Running) -> None:
    running.store.files.record_error("bad.txt", None, "invalid YAML: oops")
    reply = await running.command(ADMIN_ID, "/errors")
    assert "bad.txt" in reply and "invalid YAML: oops" in reply


async def test_flooding_user_is_slowed_down(running: Running) -> None:
    """Twelve commands at once: five answers, one "slow down", the rest dropped."""
    for _ in range(12):
        running.standin.say(1, "/help")
    await running.command(2, "/help", user_id=2)  # handled after all twelve
    texts = [m.text or "" for m in running.standin.messages_to(1)]
    assert sum("Slow down" in t for t in texts) == 1
    assert len(texts) == 6


async def test_bot_removed_from_group_marks_it_inactive(running: Running) -> None:
    running.store.chats.register(-70, "group", "g")
    running.standin.membership(-70, "kicked")

    def inactive() -> bool:
        chat = running.store.chats.get(-70)
        return chat is not None and not chat.active

    await eventually(inactive)


async def test_bot_added_to_group_greets(running: Running) -> None:
    running.standin.membership(-80, "member")
    await running.standin.until(lambda: len(running.standin.messages_to(-80)) == 1)
    assert "Thanks for adding me" in (running.standin.messages_to(-80)[0].text or "")


async def test_oversized_arguments_get_usage_not_an_error(running: Running) -> None:
    """Names too long for a button, or too many topics at once: a usage line."""
    long = "x" * 65
    cases = [
        (f"/subscribe {long}", "Usage: /subscribe"),
        ("/subscribe " + ", ".join(f"t{i}" for i in range(21)), "Usage: /subscribe"),
        (f"/unsubscribe {long}", "Usage: /unsubscribe"),
        (f"/topic {long}", "Usage: /topic"),
        (f"/filter mute {long}", "Usage: /filter"),
        ("/search " + "word " * 50, "Usage: /search"),
    ]
    for chat, (text, usage) in enumerate(cases, start=200):
        assert (await running.command(chat, text)).startswith(usage), text
    assert follows(running.store, 200) == (False, [])


def test_every_menu_command_has_its_handler_and_no_other(config: Config, store: Store) -> None:
    """The handler table and the command menus name the same commands."""
    handlers = build_newsbot(config, store).command_handlers()
    menus = [name for name, _ in SUBSCRIBER_COMMANDS + ADMIN_COMMANDS]
    assert sorted(handlers) == sorted(menus)
    assert all(handler.__name__ == f"{name}_command" for name, handler in handlers.items())


async def test_a_page_button_pressed_twice_is_no_error(
    running: Running, caplog: pytest.LogCaptureFixture
) -> None:
    for index in range(12):
        add(running, f"Story {index}", (f"Topic{index:02d}",))
    await running.command(1, "/topics")

    def edits() -> int:
        return sum(method == "editMessageReplyMarkup" for method, _ in running.standin.calls)

    running.standin.press(1, "page:1")
    await running.standin.until(lambda: edits() == 1)
    running.standin.press(1, "page:1")  # the same page again: Telegram says "not modified"
    await running.standin.until(lambda: edits() == 2)
    await running.command(1, "/help")  # handled after the second press
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
