"""The Bot API stand-in itself: where it must answer as Telegram does for tests to mean much."""

from __future__ import annotations

import asyncio

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, RetryAfter

from tests.standin import TOKEN, StandIn


@pytest.fixture
async def bot(standin: StandIn) -> Bot:
    return Bot(TOKEN, base_url=standin.base_url)


@pytest.mark.parametrize("reference", ["&#1114112;", "&#x110000;", "&#xD800;", "&#0;"])
async def test_character_reference_out_of_range_is_a_bad_request(bot: Bot, reference: str) -> None:
    """Telegram refuses the markup (400); the stand-in must not fail with a 500."""
    async with bot:
        with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
            await bot.send_message(1, f"x {reference} y", parse_mode="HTML")


async def test_character_reference_in_range_is_the_character(bot: Bot, standin: StandIn) -> None:
    async with bot:
        await bot.send_message(1, "caf&#233; &#x1F600;", parse_mode="HTML")
    assert standin.messages_to(1)[0].text == "caf\u00e9 \U0001f600"


async def test_flood_limits_are_on_unless_a_test_turns_them_off(bot: Bot) -> None:
    """Two messages to one private chat at once: the second is a 429, as on Telegram."""
    async with bot:
        await bot.send_message(1, "one")
        with pytest.raises(RetryAfter):
            await bot.send_message(1, "two")
    assert StandIn(unlimited=True).flood is None


async def test_the_group_creator_is_the_creator_and_listed_among_admins(
    bot: Bot, standin: StandIn
) -> None:
    standin.creators[-5] = 8
    standin.admins[-5].add(9)
    async with bot:
        assert (await bot.get_chat_member(-5, 8)).status == "creator"
        assert (await bot.get_chat_member(-5, 9)).status == "administrator"
        assert (await bot.get_chat_member(-5, 10)).status == "member"
        listed = await bot.get_chat_administrators(-5)
    assert [(m.user.id, m.status) for m in listed] == [(8, "creator"), (9, "administrator")]


async def test_a_second_poller_ends_the_long_poll_in_flight_with_409(
    bot: Bot, standin: StandIn
) -> None:
    """Telegram answers the older of two getUpdates with 409 at once, not when it times out."""
    async with bot:
        poll = asyncio.create_task(bot.get_updates(timeout=10))
        await standin.until(lambda: standin.polls == 1)
        standin.conflict = True
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await asyncio.wait_for(poll, 3)


async def test_a_poll_error_ends_the_long_poll_in_flight(bot: Bot, standin: StandIn) -> None:
    async with bot:
        poll = asyncio.create_task(bot.get_updates(timeout=10))
        await standin.until(lambda: standin.polls == 1)
        standin.poll_error = (502, "Bad Gateway")
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await asyncio.wait_for(poll, 3)
        standin.poll_error = None
        standin.say(1, "hello")
        assert [u.message.text for u in await bot.get_updates(timeout=3) if u.message] == ["hello"]


async def test_an_edit_is_not_modified_only_when_text_and_keyboard_both_stay(
    bot: Bot, standin: StandIn
) -> None:
    """Telegram compares the keyboard too; editMessageReplyMarkup wants a message of the
    bot's and another keyboard than it shows. (In a group: a burst of edits is no flood.)"""
    first = InlineKeyboardMarkup([[InlineKeyboardButton("a", callback_data="a")]])
    second = InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data="b")]])
    async with bot:
        sent = await bot.send_message(-1, "text", reply_markup=first)
        await bot.edit_message_text("text", -1, sent.message_id, reply_markup=second)
        with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
            await bot.edit_message_text("text", -1, sent.message_id, reply_markup=second)
        with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
            await bot.edit_message_reply_markup(-1, sent.message_id, reply_markup=second)
        await bot.edit_message_reply_markup(-1, sent.message_id, reply_markup=first)
        with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
            await bot.edit_message_reply_markup(-1, 424242, reply_markup=first)


async def test_a_bot_kicked_or_without_the_post_right_is_refused(
    bot: Bot, standin: StandIn
) -> None:
    """As Telegram answers a bot that was removed, blocked, or may not post."""
    standin.membership(-5, "kicked", chat_type="supergroup")
    standin.membership(6, "kicked", chat_type="private")
    standin.add_chat(-1007, "channel", bot_may_post=False)
    async with bot:
        with pytest.raises(Forbidden, match="bot was kicked from the supergroup chat"):
            await bot.send_message(-5, "hi")
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(6, "hi")
        with pytest.raises(BadRequest, match=r"(?i)need administrator rights in the channel chat"):
            await bot.send_message(-1007, "hi")
        standin.membership(-1007, "administrator", chat_type="channel")
        await bot.send_message(-1007, "hi")
    assert [m.text for m in standin.messages_to(-1007)] == ["hi"]
