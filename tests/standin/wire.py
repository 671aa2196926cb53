"""The stand-in's side of the wire: the bot's identity, request forms, JSON replies."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

TOKEN = "4242424:test-token-not-real-xxxxxxxxxxxxxxxxxx"
BOT_USER = {
    "id": 999000,
    "is_bot": True,
    "first_name": "NewsBot",
    "username": "news_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
JSON_FIELDS = {
    "reply_markup", "link_preview_options", "entities", "caption_entities", "commands",
    "scope", "reply_parameters", "media", "allowed_updates", "results", "button",
}  # fmt: skip


def decode(form: dict[str, Any]) -> dict[str, Any]:
    """PTB sends nested objects as JSON strings inside the form."""
    decoded: dict[str, Any] = {}
    for key, value in form.items():
        if isinstance(value, web.FileField):  # an uploaded file (multipart)
            decoded[key] = value.file.read()
            continue
        if key in JSON_FIELDS and isinstance(value, str):
            try:
                decoded[key] = json.loads(value)
                continue
            except ValueError:
                pass
        decoded[key] = value
    return decoded


def not_utf8(value: Any) -> bool:
    """Whether a decoded JSON value holds a lone surrogate (`"\\ud800"`): text that is not
    UTF-8, which Telegram refuses."""
    if isinstance(value, str):
        return any("\ud800" <= char <= "\udfff" for char in value)
    if isinstance(value, dict):
        return any(not_utf8(item) for item in value.values())
    if isinstance(value, list):
        return any(not_utf8(item) for item in value)
    return False


def ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def error(status: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)


# who Telegram says sent a message written on behalf of a chat (its `sender_chat`)
ANONYMOUS_ADMIN = {  # any anonymous administrator of a group, writing as the group
    "id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot",
}  # fmt: skip
CHANNEL_BOT = {  # anyone writing in a group as a channel
    "id": 136817688, "is_bot": True, "first_name": "Channel", "username": "Channel_Bot",
}  # fmt: skip


def user(user_id: int, language_code: str | None) -> dict[str, Any]:
    """A (human) user as Telegram describes one."""
    described: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": f"user{user_id}"}
    if language_code is not None:
        described["language_code"] = language_code
    return described
