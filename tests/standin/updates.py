"""Updates: what users do (messages, commands, buttons, documents, channel posts) queued
as updates, and `getUpdates` serving them by long polling with offsets, as Telegram does
(an offset confirms every update before it; a crash may see one again)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from aiohttp import web

from tests.standin.state import Sent, State
from tests.standin.wire import ANONYMOUS_ADMIN, CHANNEL_BOT, error, ok, user


class Updates(State):
    # --- what tests do as users -------------------------------------------------------

    def push_update(self, payload: dict[str, Any]) -> int:
        """Queue an update (without update_id); returns the id it got."""
        update_id = next(self._update_ids)
        with self._cond:
            self._updates.append({"update_id": update_id, **payload})
        self._wake_pollers()
        return update_id

    def redeliver(self, update_id: int) -> None:
        """Serve an already-confirmed update once more, as Telegram does after a crash."""
        with self._cond:
            self._again.extend(u for u in self._delivered if u["update_id"] == update_id)
        self._wake_pollers()

    def say(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        chat_type: str = "private",
        title: str | None = None,
        reply_to: dict[str, Any] | None = None,
        thread_id: int | None = None,
        language_code: str | None = None,
        edited: bool = False,
        anonymous: bool = False,
        as_channel: int | None = None,
    ) -> int:
        """A user writes `text` in a chat (a command when it starts with '/'); with
        `thread_id`, inside that topic of a forum supergroup; perhaps in reply to an
        earlier message; from an app speaking `language_code`, when given; `edited`: the
        user edited an earlier message into `text`, which arrives as a new update.
        `anonymous`: an anonymous administrator, sent as Telegram sends it (from
        GroupAnonymousBot, on behalf of the group); `as_channel`: someone writing as that
        channel (from Channel_Bot, on behalf of the channel)."""
        message = self._user_message(chat_id, user_id, chat_type, title, language_code)
        message["text"] = text
        if anonymous:
            message.update({"from": ANONYMOUS_ADMIN, "sender_chat": message["chat"]})
        elif as_channel is not None:
            channel = self.chat_of(as_channel, "channel")
            message.update({"from": CHANNEL_BOT, "sender_chat": channel})
        if thread_id is not None:
            message["chat"]["is_forum"] = True
            message.update(message_thread_id=thread_id, is_topic_message=True)
        mark_command(message)
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        if edited:
            message["edit_date"] = message["date"]
            return self.push_update({"edited_message": message})
        return self.push_update({"message": message})

    def send_document(
        self, chat_id: int, content: bytes, *, caption: str | None = None, name: str = "f.yaml"
    ) -> dict[str, Any]:
        """A user sends a file (with a caption); returns the message, for replies to it."""
        file_id = f"doc{next(self._message_ids)}"
        self.files[file_id] = content
        message = self._user_message(chat_id, None, "private", None)
        message["document"] = {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_name": name,
            "file_size": len(content),
        }
        if caption is not None:
            message["caption"] = caption
            mark_command(message)
        self.push_update({"message": message})
        return message

    def edit(self, message: dict[str, Any], **changes: Any) -> int:
        """The user edits an earlier message (its text, its caption): an `edited_message`
        with the same message_id, as Telegram sends it."""
        edited = {**message, **changes, "edit_date": int(time.time())}
        mark_command(edited)
        return self.push_update({"edited_message": edited})

    def _user_message(
        self,
        chat_id: int,
        user_id: int | None,
        chat_type: str,
        title: str | None,
        language_code: str | None = None,
    ) -> dict[str, Any]:
        user_id = chat_id if user_id is None else user_id
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = f"user{user_id}"
        else:
            chat["title"] = title or f"group{chat_id}"
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": user(user_id, language_code),
        }

    def post(self, chat_id: int, text: str) -> int:
        """Someone posts `text` in a channel: a `channel_post`, from the channel itself."""
        message: dict[str, Any] = self.signed(
            {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": self.chat_of(chat_id, "channel"),
                "text": text,
            }
        )
        mark_command(message)
        return self.push_update({"channel_post": message})

    def press(
        self,
        chat_id: int,
        data: str,
        *,
        user_id: int | None = None,
        chat_type: str = "private",
        message_id: int = 1,
        language_code: str | None = None,
        thread_id: int | None = None,
    ) -> int:
        """A user presses an inline button carrying `data` (in an app speaking
        `language_code`, when given), on a message of the bot's in that chat (signed by
        the channel, in a channel; with `thread_id`, in that topic of a forum)."""
        user_id = chat_id if user_id is None else user_id
        with self._cond:  # the buttons are on a message of the bot's
            self.bot_messages.setdefault(
                (chat_id, message_id),
                Sent(
                    chat_id, "sendMessage", "buttons", "buttons", None, {}, time.time(), message_id
                ),
            )
        return self.push_update(
            {
                "callback_query": {
                    "id": str(next(self._message_ids)),
                    "from": user(user_id, language_code),
                    "chat_instance": "ci",
                    "data": data,
                    "message": self.signed(
                        {
                            "message_id": message_id,
                            "date": int(time.time()),
                            "chat": self.chat_of(chat_id, chat_type),
                            "text": "buttons",
                            **topic_of(thread_id),
                        }
                    ),
                }
            }
        )

    # --- getUpdates -------------------------------------------------------------------

    async def _get_updates(self, params: dict[str, Any]) -> web.Response:
        with self._cond:
            self.polls += 1
            self._cond.notify_all()
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        deadline = time.monotonic() + timeout
        assert self._new_update is not None
        while True:
            refused = self._poll_refusal()
            if refused is not None:
                return refused
            with self._cond:
                if offset:
                    # an offset confirms every update before it: Telegram forgets them
                    self._updates = [u for u in self._updates if u["update_id"] >= offset]
                ready = [u for u in self._updates if u["update_id"] >= offset]
                if self._again:
                    ready, self._again = self._again + ready, []
                self._delivered.extend(ready)
            if ready or time.monotonic() >= deadline or self._stopped.is_set():
                return ok(ready[: int(params.get("limit") or 100)])
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), deadline - time.monotonic())

    def _poll_refusal(self) -> web.Response | None:
        """The error a poll gets now instead of updates, if any."""
        if self.poll_error is not None:
            return error(*self.poll_error)
        if self.conflict:
            return error(
                409,
                "Conflict: terminated by other getUpdates request; make sure that only one "
                "bot instance is running",
            )
        return None


def mark_command(message: dict[str, Any]) -> None:
    """Give a text or caption that starts with '/' its bot_command entity, as Telegram
    does (and none to one that no longer does)."""
    for text_field, entities in (("text", "entities"), ("caption", "caption_entities")):
        text = message.get(text_field)
        message.pop(entities, None)
        if text is not None and text.startswith("/"):
            length = len(text.split()[0])
            message[entities] = [{"type": "bot_command", "offset": 0, "length": length}]


def topic_of(thread_id: int | None) -> dict[str, Any]:
    """The fields of a message inside a forum topic (none outside one)."""
    if thread_id is None:
        return {}
    return {"message_thread_id": thread_id, "is_topic_message": True}
