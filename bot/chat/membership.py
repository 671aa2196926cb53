"""The bot's own place in a chat, and others' rights there: `my_chat_member` and
`chat_member` updates.

The bot is sent to while it may post in a chat: added or promoted, the chat is
registered (a group is greeted; a channel is not: a greeting would reach every reader);
demoted, removed or blocked, the chat is deactivated and its waiting pushes cancelled.
Anyone's rights changing drops the cached admin checks of that chat.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot.chat.languages import words_of
from bot.chat.permissions import Permissions, may_post
from storage import Store

log = logging.getLogger("bot.app")


class Membership:
    def __init__(self, store: Store, permissions: Permissions) -> None:
        self.store = store
        self.permissions = permissions

    async def bot_changed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The bot was added to, promoted or demoted in, removed from, or blocked in a chat:
        it is sent to while it may post there."""
        member = update.my_chat_member
        assert member is not None
        chat = member.chat
        self.permissions.forget_chat(chat.id)
        status = member.new_chat_member.status
        if not may_post(member.new_chat_member):
            cancelled = self.store.chats.deactivate(chat.id)
            log.info(
                "may not post in chat %d any more (%s); %d pushes cancelled",
                chat.id,
                status,
                cancelled,
            )
            return
        new = self.store.chats.register(chat.id, chat.type, chat.title or chat.username)
        # a greeting in a channel would reach every one of its subscribers: none there
        if new and chat.type not in ("private", "channel"):
            words = words_of(self.store, update)
            await context.bot.send_message(
                chat.id,
                words.gettext(
                    "Thanks for adding me! A group admin can /subscribe &lt;topic&gt; "
                    "(or tap /topics) and I will post new articles here."
                ),
                parse_mode="HTML",
            )

    async def member_changed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Someone's rights in a chat changed: ask Telegram afresh who may manage it."""
        if update.chat_member is not None:
            self.permissions.forget_chat(update.chat_member.chat.id)
