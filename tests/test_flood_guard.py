"""The flood guard: one budget per acting identity, whatever kind of update it sends."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.chat.guard import USER_BURST, UpdateGuard
from storage import Store
from tests.conftest import Running, eventually
from tests.feeds import follows

GROUP_A, GROUP_B = -1001, -1002
SLOW = "Slow down a little, please: too many commands."


def answers(running: Running) -> list[str | None]:
    return [p.get("text") for m, p in running.standin.calls if m == "answerCallbackQuery"]


async def test_anonymous_admins_of_two_groups_have_a_budget_each(running: Running) -> None:
    """Eight commands from group A's anonymous admin leave group B's anonymous admin's
    /subscribe answered: they share a user id (GroupAnonymousBot), not a budget."""
    for _ in range(8):
        running.standin.say(GROUP_A, "/help", chat_type="supergroup", anonymous=True)
    reply = await running.command(GROUP_B, "/subscribe AI", chat_type="supergroup", anonymous=True)
    assert reply.startswith("Subscribed to AI")
    assert follows(running.store, GROUP_B) == (False, ["ai"])
    texts = [m.text for m in running.standin.messages_to(GROUP_A)]
    assert texts.count(SLOW) == 1 and len(texts) == USER_BURST + 1


async def test_people_writing_as_two_channels_have_a_budget_each(running: Running) -> None:
    """Writing in a group as a channel arrives as Channel_Bot: the channel is the identity."""
    for _ in range(8):
        running.standin.say(GROUP_A, "/help", chat_type="supergroup", as_channel=-1003)
    await running.standin.until(lambda: len(running.standin.messages_to(GROUP_A)) == USER_BURST + 1)
    assert running.standin.messages_to(GROUP_A)[-1].text == SLOW
    reply = await running.command(GROUP_A, "/help", chat_type="supergroup", as_channel=-1004)
    assert reply != SLOW and "/subscribe" in reply


async def test_button_presses_are_counted(running: Running) -> None:
    """Twelve presses at once: five answered, one told to slow down, the rest dropped."""
    for _ in range(12):
        running.standin.press(1, "page:0")
    await running.command(2, "/help")  # handled after all twelve
    await running.standin.until(lambda: len(answers(running)) >= USER_BURST + 1)
    assert answers(running).count(SLOW) == 1
    assert len(answers(running)) == USER_BURST + 1


async def test_edits_are_counted(running: Running) -> None:
    """Edits draw on the editor's budget: after six, a command waits."""
    for _ in range(6):
        running.standin.say(1, "/help", edited=True)
    assert await running.command(1, "/help") == SLOW


async def test_channel_posts_are_counted_by_the_channel(running: Running) -> None:
    """Commands posted in a channel (no user at all) draw on the channel's budget."""
    running.standin.add_chat(-1005, "channel", username="floody", creator=1)
    for _ in range(8):
        running.standin.post(-1005, "/help")
    await running.command(2, "/help")
    await eventually(lambda: len(running.standin.messages_to(-1005)) == USER_BURST + 1)
    assert running.standin.messages_to(-1005)[-1].text == SLOW


def inline_query(update_id: int, user_id: int) -> Update:
    return Update.de_json(
        {
            "update_id": update_id,
            "inline_query": {
                "id": str(update_id),
                "from": {"id": user_id, "is_bot": False, "first_name": "u"},
                "query": "robots",
                "offset": "",
            },
        },
        None,
    )


async def test_inline_queries_are_counted_a_quarter_each(store: Store) -> None:
    """Inline queries come one per pause in typing: twenty fill a budget of five."""
    guard = UpdateGuard(store, clock=lambda: 1000.0)
    context: Any = None
    for update_id in range(1, 4 * USER_BURST + 1):
        await guard.check(inline_query(update_id, 7), context)
    with pytest.raises(ApplicationHandlerStop):
        await guard.check(inline_query(100, 7), context)
    await guard.check(inline_query(101, 8), context)  # another person's budget
