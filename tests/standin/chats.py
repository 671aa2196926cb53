"""Chats and members: the groups and channels getChat knows (by id or `@username`), their
creators and admins, the bot's own membership, and the updates when either changes."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from tests.standin.updates import Updates
from tests.standin.wire import BOT_USER, error, ok, user


class Chats(Updates):
    def add_chat(
        self,
        chat_id: int,
        chat_type: str,
        *,
        username: str | None = None,
        creator: int | None = None,
        bot_status: str = "administrator",
        bot_may_post: bool = True,
        is_forum: bool = False,
    ) -> dict[str, Any]:
        """A group or channel getChat knows (by id, or by `@username`), its creator, and
        the bot's own membership there (an administrator that may post, by default)."""
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type, "title": f"{chat_type}{chat_id}"}
        if username is not None:
            chat["username"] = username
        if is_forum:
            chat["is_forum"] = True
        self.chats[chat_id] = chat
        if creator is not None:
            self.creators[chat_id] = creator
        self.bot_members[chat_id] = bot_member(chat_type, bot_status, bot_may_post)
        self.member_chat_types[chat_id] = chat_type
        return chat

    def membership(
        self, chat_id: int, status: str, *, chat_type: str = "group", may_post: bool = True
    ) -> int:
        """The bot's own membership in a chat changed (added, promoted, demoted, kicked,
        blocked); `may_post` is an administrator's `can_post_messages` in a channel."""
        member = bot_member(chat_type, status, may_post)
        self.bot_members[chat_id] = member
        self.member_chat_types[chat_id] = chat_type
        was = "left" if status in ("member", "administrator") else "member"
        old = {"user": BOT_USER, "status": was}
        chat = self.chats.get(chat_id) or {
            "id": chat_id,
            "type": chat_type,
            "title": f"group{chat_id}",
        }
        return self.push_update(
            {
                "my_chat_member": {
                    "chat": chat,
                    "from": {"id": 1, "is_bot": False, "first_name": "admin"},
                    "date": int(time.time()),
                    "old_chat_member": old,
                    "new_chat_member": member,
                }
            }
        )

    def member_changed(self, chat_id: int, user_id: int, status: str) -> int:
        """A user's membership in a chat changed (a `chat_member` update, sent to admin bots)."""
        if status == "administrator":
            self.admins[chat_id].add(user_id)
        else:
            self.admins[chat_id].discard(user_id)
        chat = self.chats.get(chat_id) or {"id": chat_id, "type": "supergroup", "title": "g"}
        return self.push_update(
            {
                "chat_member": {
                    "chat": chat,
                    "from": {"id": 1, "is_bot": False, "first_name": "admin"},
                    "date": int(time.time()),
                    "old_chat_member": member(user_id, "member"),
                    "new_chat_member": member(user_id, status),
                }
            }
        )

    # --- getChat, getChatMember, getChatAdministrators ----------------------------------

    def _find_chat(self, chat_id: str) -> dict[str, Any] | None:
        """A known chat by id or by `@username`, as Telegram resolves either."""
        if chat_id.startswith("@"):
            name = chat_id[1:].casefold()
            return next(
                (c for c in self.chats.values() if c.get("username", "").casefold() == name),
                None,
            )
        return self.chats.get(int(chat_id))

    def _get_chat(self, chat_id: str) -> web.Response:
        chat = self._find_chat(chat_id)
        if chat is None:
            return error(400, "Bad Request: chat not found")
        return ok({**chat, "accent_color_id": 0, "max_reaction_count": 11})

    def _members(self, method: str, params: dict[str, Any]) -> web.Response:
        raw = str(params["chat_id"])
        known = self._find_chat(raw)
        if raw.startswith("@") and known is None:
            return error(400, "Bad Request: chat not found")
        chat_id = int(known["id"]) if known is not None else int(raw)
        admins = self.admins.get(chat_id, set())
        creator = self.creators.get(chat_id)
        if method == "getChatAdministrators":
            listed = [member(admin, "administrator") for admin in sorted(admins - {creator})]
            return ok(([member(creator, "creator")] if creator is not None else []) + listed)
        user_id = int(params["user_id"])
        if user_id == BOT_USER["id"] and chat_id in self.bot_members:
            return ok(self.bot_members[chat_id])
        if user_id == BOT_USER["id"] and chat_id in self.chats:
            return ok({"user": BOT_USER, "status": "left"})
        if user_id == creator:
            return ok(member(user_id, "creator"))
        return ok(member(user_id, "administrator" if user_id in admins else "member"))


def bot_member(chat_type: str, status: str, may_post: bool) -> dict[str, Any]:
    """The bot as a member of a chat with `status`; an administrator with full rights
    except, in a channel, `can_post_messages` = `may_post`."""
    described: dict[str, Any] = {"user": BOT_USER, "status": status}
    if status == "kicked":
        described["until_date"] = 0
    if status == "restricted":
        described.update(RESTRICTED, can_send_messages=may_post, is_member=True, until_date=0)
    if status == "administrator":
        described.update(ADMIN_RIGHTS)
        if chat_type == "channel":
            described.update(
                can_post_messages=may_post, can_edit_messages=may_post, can_delete_messages=True
            )
    return described


def member(user_id: int, status: str) -> dict[str, Any]:
    described: dict[str, Any] = {"user": user(user_id, None), "status": status}
    if status == "administrator":
        described.update(ADMIN_RIGHTS)
    if status == "creator":
        described["is_anonymous"] = False
    return described


ADMIN_RIGHTS: dict[str, Any] = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
}
RESTRICTED: dict[str, Any] = {
    name: False
    for name in (
        "can_send_audios", "can_send_documents", "can_send_photos", "can_send_videos",
        "can_send_video_notes", "can_send_voice_notes", "can_send_polls",
        "can_send_other_messages", "can_add_web_page_previews", "can_change_info",
        "can_invite_users", "can_pin_messages", "can_manage_topics",
    )
}  # fmt: skip
