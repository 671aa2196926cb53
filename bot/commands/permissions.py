"""Who may change a feed: anyone in private; in groups, its administrators."""

from __future__ import annotations

import time

from telegram import ChatMember, Update
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.commands.replies import reply_html
from bot.translations import N_, Words

ANONYMOUS_ADMIN = 1087968824  # telegram.constants.ChatID.ANONYMOUS_ADMIN
ADMIN_CACHE_SECONDS = 60.0
ADMINS_ONLY = N_("Only this group's administrators can change that.")
STALE_BUTTON = N_("This button is no longer valid.")


class Permissions:
    """Checks the sender's rights, asking Telegram at most once a minute per chat and user."""

    def __init__(self) -> None:
        self._admin_cache: dict[tuple[int, int], tuple[float, bool]] = {}

    async def may_change(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
        """Anyone in private; in groups, administrators, the creator and anonymous admins."""
        chat, user = update.effective_chat, update.effective_user
        if chat is None or chat.type == ChatType.PRIVATE:
            return True
        message = update.effective_message
        if message is not None and message.sender_chat is not None:
            return message.sender_chat.id == chat.id  # an anonymous admin writes as the group
        if user is None:
            return False
        key = (chat.id, user.id)
        cached = self._admin_cache.get(key)
        if cached is not None and time.monotonic() - cached[0] < ADMIN_CACHE_SECONDS:
            return cached[1]
        try:
            member = await context.bot.get_chat_member(chat.id, user.id)
        except BadRequest:
            return False
        allowed = member.status in (ChatMember.ADMINISTRATOR, ChatMember.OWNER)
        self._admin_cache[key] = (time.monotonic(), allowed)
        return allowed

    async def refuse_unless_allowed(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, words: Words
    ) -> bool:
        """True when the sender may change this chat; else says so politely, in `words`."""
        if await self.may_change(update, context):
            return True
        await reply_html(
            update, words.gettext("Sorry, only this group's administrators can change that.")
        )
        return False
