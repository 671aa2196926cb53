"""Requests with a JSON body (bot/chat/requests.py), through python-telegram-bot to the
stand-in: typed values arrive, uploads stay multipart, and failures map as PTB maps them."""

from __future__ import annotations

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, NetworkError, TimedOut

from bot.chat.requests import JsonRequest
from tests.processes import free_port
from tests.standin import TOKEN, StandIn


def json_bot(base_url: str, read_timeout: float = 5.0) -> Bot:
    return Bot(TOKEN, base_url=base_url, request=JsonRequest(read_timeout=read_timeout))


async def test_a_request_without_a_file_arrives_as_json_with_its_types(standin: StandIn) -> None:
    """A form sends every value as text ("5", "true"); the JSON body keeps numbers,
    booleans and nested objects as they are, and the reply parses as with a form."""
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Open", url="https://a.example/")]])
    async with json_bot(standin.base_url) as bot:
        sent = await bot.send_message(
            5, "<b>café</b> \U0001f600", parse_mode="HTML", disable_notification=True,
            reply_markup=keyboard,
        )  # fmt: skip
    [(_, params)] = [call for call in standin.calls if call[0] == "sendMessage"]
    assert params["chat_id"] == 5 and params["disable_notification"] is True
    assert params["reply_markup"] == keyboard.to_dict()
    assert standin.messages_to(5)[0].text == "café \U0001f600"
    assert sent.message_id == standin.messages_to(5)[0].message_id


async def test_a_lone_surrogate_is_escaped_not_a_network_error(standin: StandIn) -> None:
    """Not valid UTF-8: encoding the body raised, which PTB reports as NetworkError (the
    API away, to the sender). Escaped as JSON allows, it reaches the API, which judges it."""
    async with json_bot(standin.base_url) as bot:
        with pytest.raises(BadRequest, match=r"(?i)must be encoded in utf-8"):
            await bot.send_message(5, "a\ud800b")


async def test_an_upload_still_goes_as_a_multipart_form(standin: StandIn) -> None:
    async with json_bot(standin.base_url) as bot:
        await bot.send_document(5, b"a,b\n1,2\n", filename="export.csv", caption="here")
    [(_, params)] = [call for call in standin.calls if call[0] == "sendDocument"]
    assert params["document"] == b"a,b\n1,2\n" and params["chat_id"] == "5"  # a form field


async def test_the_api_refusing_is_the_same_error_as_with_a_form(standin: StandIn) -> None:
    async with json_bot(standin.base_url) as bot:
        with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
            await bot.send_message(5, "<b>unclosed", parse_mode="HTML")


async def test_no_answer_in_time_is_timed_out_and_no_server_a_network_error(
    standin: StandIn,
) -> None:
    """A late answer is PTB's TimedOut (the sender's "may have arrived"); a refused
    connection is NetworkError (the API is away), and neither names the token."""
    standin.slow_next(lambda method, _: method == "sendMessage", 1.0)
    async with json_bot(standin.base_url, read_timeout=0.2) as bot:
        with pytest.raises(TimedOut) as late:
            await bot.send_message(5, "late")
    with pytest.raises(NetworkError) as away:
        async with json_bot(f"http://127.0.0.1:{free_port()}/bot") as bot:  # getMe first
            await bot.send_message(5, "nobody there")
    assert not isinstance(away.value, TimedOut)
    assert TOKEN not in str(late.value) and TOKEN not in str(away.value)
