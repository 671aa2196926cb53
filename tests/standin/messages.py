"""Sending and editing: sendMessage, sendPhoto and the other sends; editMessageText,
editMessageCaption, editMessageMedia and deleteMessage on the bot's own messages, with
Telegram's refusals (blocked, missing and migrated chats, bad markup, lengths, images)."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from aiohttp import web

from tests.standin.flood import Flood
from tests.standin.state import Sent
from tests.standin.wire import error, ok
from tests.telegram_html import EntityError, utf16_len, visible_text

SEND_METHODS = {
    "sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup", "copyMessage", "forwardMessage",
}  # fmt: skip
CAPTIONED = {"sendPhoto", "sendDocument"}
EDIT_METHODS = {"editMessageText", "editMessageCaption", "editMessageMedia", "deleteMessage"}
DELETE_WINDOW = 48 * 3600  # Telegram deletes a bot's message up to 48 hours after sending it
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "of the specified message are exactly the same as a current content and reply markup "
    "of the message"
)
BAD_IMAGE_MARK = "bad-image"
PREVIEW_FIELDS = {
    "is_disabled", "url", "prefer_small_media", "prefer_large_media", "show_above_text",
}  # fmt: skip
# the right a restricted member needs for a send, and what Telegram calls what it sends
SEND_RIGHTS = {
    "sendPhoto": ("can_send_photos", "photos"),
    "sendDocument": ("can_send_documents", "documents"),
}


class Messages(Flood):
    def _refusal(self, chat_id: int) -> web.Response | None:
        """Why a message to this chat (a send, an edit, a deletion) is refused, if it is."""
        if chat_id in self.blocked:
            return error(403, self.blocked[chat_id])
        member = self.bot_members.get(chat_id, {})
        chat_type = self.member_chat_types.get(chat_id, "group")
        if member.get("status") == "kicked":
            if chat_type == "private":
                return error(403, "Forbidden: bot was blocked by the user")
            return error(403, f"Forbidden: bot was kicked from the {chat_type} chat")
        if member.get("status") == "left":
            return error(403, f"Forbidden: bot is not a member of the {chat_type} chat")
        if chat_id in self.missing:
            return error(400, "Bad Request: chat not found")
        if chat_id in self.migrated:
            return error(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self.migrated[chat_id]},
            )
        return self._flood_check(chat_id, 1)

    def _no_right_to_post(self, chat_id: int, method: str) -> web.Response | None:
        """A channel's admin without the post right, or a member restricted from sending."""
        member = self.bot_members.get(chat_id)
        if member is None:
            return None
        if self.member_chat_types.get(chat_id) == "channel":
            if member["status"] == "creator" or member.get("can_post_messages"):
                return None
            return error(400, "Bad Request: need administrator rights in the channel chat")
        right, what = SEND_RIGHTS.get(method, ("can_send_messages", "text messages"))
        if member["status"] == "restricted" and not member.get(right):
            return error(400, f"Bad Request: not enough rights to send {what} to the chat")
        return None

    def _send(self, method: str, params: dict[str, Any]) -> web.Response:
        chat_id = int(params["chat_id"])
        thread = params.get("message_thread_id")
        if thread is not None and (chat_id, int(thread)) in self.gone_threads:
            return error(400, "Bad Request: message thread not found")
        refused = self._refusal(chat_id) or self._no_right_to_post(chat_id, method)
        if refused is not None:
            return refused
        photo = params.get("photo")
        if photo is not None and BAD_IMAGE_MARK in str(photo):
            return error(400, "Bad Request: failed to get HTTP URL content")
        if method == "sendMessage" and (problem := check_preview(params)) is not None:
            return problem
        body = params.get("caption") if method in CAPTIONED else params.get("text")
        limit = 1024 if method in CAPTIONED else 4096
        if body is not None or method == "sendMessage":
            problem = check_body(body or "", params.get("parse_mode"), limit, method)
            if problem is not None:
                return problem
        self._note_sent(chat_id)
        message_id = next(self._message_ids)
        document = params.get("document")
        if isinstance(document, bytes):
            self.files[f"sent{message_id}"] = document
        shown = visible_text(body) if body and params.get("parse_mode") == "HTML" else body
        sent = Sent(
            chat_id, method, shown, body, photo, params, time.time(), message_id, self.arrived
        )
        self.sent.append(sent)
        self.bot_messages[(chat_id, message_id)] = sent
        self.stats.accepted += 1
        return ok(self._message(chat_id, body, photo, message_id))

    def _edit(self, method: str, params: dict[str, Any]) -> web.Response:
        """editMessageText/Caption/Media and deleteMessage, on the bot's own messages only."""
        chat_id = int(params["chat_id"])
        refused = self._refusal(chat_id)
        if refused is not None:
            return refused
        if method == "editMessageText" and (problem := check_preview(params)) is not None:
            return problem
        key = (chat_id, int(params["message_id"]))
        current = self.bot_messages.get(key)
        if method == "deleteMessage":
            if current is None:
                return error(400, "Bad Request: message to delete not found")
            if time.time() - current.at >= DELETE_WINDOW:
                return error(400, "Bad Request: message can't be deleted for everyone")
            del self.bot_messages[key]
            return self._accept_edit(method, current, None, None, current.photo, params, True)
        if current is None:
            return error(400, "Bad Request: message to edit not found")
        if method == "editMessageText" and current.photo is not None:
            return error(400, "Bad Request: there is no text in the message to edit")
        if method != "editMessageText" and current.photo is None:
            return error(400, "Bad Request: there is no caption in the message to edit")
        fields = params.get("media") if method == "editMessageMedia" else params
        assert isinstance(fields, dict)
        body = fields.get("text" if method == "editMessageText" else "caption")
        photo = fields.get("media") if method == "editMessageMedia" else current.photo
        if photo is not None and BAD_IMAGE_MARK in str(photo):
            return error(400, "Bad Request: failed to get HTTP URL content")
        limit = 4096 if method == "editMessageText" else 1024
        kind = "sendMessage" if method == "editMessageText" else "sendPhoto"
        problem = check_body(body or "", fields.get("parse_mode"), limit, kind)
        if problem is not None:
            return problem
        if (body, photo, markup(params)) == (current.html, current.photo, markup(current.params)):
            return error(400, NOT_MODIFIED)  # Telegram compares the keyboard too
        shown = visible_text(body) if body and fields.get("parse_mode") == "HTML" else body
        message = self._message(chat_id, body, photo, key[1])
        return self._accept_edit(method, current, shown, body, photo, params, message)

    def _accept_edit(
        self,
        method: str,
        current: Sent,
        shown: str | None,
        body: str | None,
        photo: str | None,
        params: dict[str, Any],
        result: Any,
    ) -> web.Response:
        self._note_sent(current.chat_id)
        edit = Sent(
            current.chat_id,
            method,
            shown,
            body,
            photo,
            params,
            time.time(),
            current.message_id,
            self.arrived,
        )
        self.edits.append(edit)
        if method != "deleteMessage":  # an edit without reply_markup drops the keyboard
            shows = {**current.params, "reply_markup": markup(params)}
            self.bot_messages[(current.chat_id, current.message_id)] = replace(
                current, text=shown, html=body, photo=photo, params=shows
            )
        self.stats.accepted += 1
        return ok(result)

    def _edit_markup(self, params: dict[str, Any]) -> web.Response:
        """editMessageReplyMarkup: the bot's own message, with another keyboard than now.
        (Not flood-checked, as before: the pacer does not pace keyboard edits.)"""
        key = (int(params["chat_id"]), int(params.get("message_id") or 0))
        current = self.bot_messages.get(key)
        if current is None:
            return error(400, "Bad Request: message to edit not found")
        if markup(params) == markup(current.params):
            return error(400, NOT_MODIFIED)
        shows = {**current.params, "reply_markup": markup(params)}
        self.bot_messages[key] = replace(current, params=shows)
        return ok(self._message(key[0], current.html, current.photo, key[1]))

    def _message(
        self, chat_id: int, text: str | None, photo: str | None, message_id: int
    ) -> dict[str, Any]:
        chat_type = "private" if chat_id > 0 else "supergroup"
        message: dict[str, Any] = self.signed(
            {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": self.chat_of(chat_id, chat_type),
            }
        )
        if photo is not None:
            message["photo"] = [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]
            message["caption"] = text
        else:
            message["text"] = text or ""
        return message


def markup(params: dict[str, Any]) -> Any:
    """The inline keyboard a request gives its message (None: none)."""
    return params.get("reply_markup")


def check_preview(params: dict[str, Any]) -> web.Response | None:
    """`link_preview_options` of sendMessage and editMessageText: an object of the known
    fields (booleans, and `url` a string), as Telegram parses it; stricter than Telegram
    (which ignores unknown fields) so that a misspelt option fails a test."""
    options = params.get("link_preview_options")
    if options is None:
        return None
    unparsable = error(400, "Bad Request: can't parse link preview options JSON object")
    if not isinstance(options, dict) or not set(options) <= PREVIEW_FIELDS:
        return unparsable
    if any(not isinstance(options[key], bool) for key in set(options) - {"url"}):
        return unparsable
    if not isinstance(options.get("url", ""), str):
        return unparsable
    return None


def check_body(body: str, parse_mode: str | None, limit: int, method: str) -> web.Response | None:
    if parse_mode == "HTML":
        try:
            text = visible_text(body)
        except EntityError as exc:
            return error(400, f"Bad Request: can't parse entities: {exc}")
    else:
        text = body
    if method == "sendMessage" and not text.strip():
        return error(400, "Bad Request: message text is empty")
    if utf16_len(text) > limit:
        what = "message caption is too long" if limit == 1024 else "message is too long"
        return error(400, f"Bad Request: {what}")
    return None
