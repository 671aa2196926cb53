"""Who may change a feed: anyone in private; in groups and channels, their administrators.

Another chat, named by `@chat`, may be managed by its creator or administrators when the
bot is there with the right to post. Telegram's answers are cached for a minute per chat
and user, and forgotten when a membership in that chat changes.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from telegram import Bot, ChatMember, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden
from telegram.ext import ContextTypes

from bot.chat.replies import reply_html
from bot.foundation.translations import N_, Words

ANONYMOUS_ADMIN = 1087968824  # telegram.constants.ChatID.ANONYMOUS_ADMIN
ADMIN_CACHE_SECONDS = 60.0
ADMINS = (ChatMember.ADMINISTRATOR, ChatMember.OWNER)
ADMINS_ONLY = N_("Only this group's administrators can change that.")
STALE_BUTTON = N_("This button is no longer valid.")


class Permissions:
    """Checks the sender's rights, asking Telegram at most once a minute per chat and user."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._members: dict[tuple[int, int], tuple[float, ChatMember | None]] = {}

    def forget_chat(self, chat_id: int) -> None:
        """A membership in the chat changed: ask Telegram afresh next time."""
        for key in [key for key in self._members if key[0] == chat_id]:
            del self._members[key]

    async def member(self, bot: Bot, chat_id: int, user_id: int) -> ChatMember | None:
        """The user's membership in the chat (None when Telegram will not say), cached."""
        key = (chat_id, user_id)
        cached = self._members.get(key)
        if cached is not None and self.clock() - cached[0] < ADMIN_CACHE_SECONDS:
            return cached[1]
        try:
            member: ChatMember | None = await bot.get_chat_member(chat_id, user_id)
        except (BadRequest, Forbidden):
            member = None
        if len(self._members) > 10_000:  # a long-running bot: forget the oldest answers
            self._members.clear()
        self._members[key] = (self.clock(), member)
        return member

    async def refusal(self, bot: Bot, chat_id: int, user_id: int, words: Words) -> str | None:
        """Why the user may not manage another chat from here (in `words`); None when they
        may."""
        member = await self.member(bot, chat_id, user_id)
        own = await self.member(bot, chat_id, bot.id)
        not_admin = member is None or member.status not in ADMINS
        cannot_post = own is None or not may_post(own)
        if not_admin and cannot_post:
            return words.gettext(
                "Sorry: you are not an administrator there and I am not there with the right "
                "to post."
            )
        if not_admin:
            return words.gettext("Sorry: you are not an administrator there.")
        if cannot_post:
            return words.gettext("Sorry: I am not there with the right to post.")
        return None

    async def may_change(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
        """Anyone in private; in groups, administrators, the creator and anonymous admins;
        in a channel, whoever posts there (only its administrators can). A button press is
        judged by the person who pressed it, never by the message the button sits on."""
        chat, user = update.effective_chat, update.effective_user
        if chat is None or chat.type == ChatType.PRIVATE:
            return True
        # Telegram signs every channel post, the bot's own included, with the channel as
        # `sender_chat`: that says who wrote a message, not who pressed a button under it
        message = None if update.callback_query is not None else update.effective_message
        if message is not None and message.sender_chat is not None:
            return message.sender_chat.id == chat.id  # an anonymous admin writes as the group
        if user is None:
            return False
        member = await self.member(context.bot, chat.id, user.id)
        return member is not None and member.status in ADMINS

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


def may_post(member: ChatMember) -> bool:
    """Whether a member (the bot) may post in its chat: an administrator of a channel needs
    `can_post_messages`; in a group any member who is not muted may."""
    if member.status == ChatMember.OWNER:
        return True
    if member.status == ChatMember.ADMINISTRATOR:
        return getattr(member, "can_post_messages", None) is not False
    if member.status == ChatMember.MEMBER:
        return True
    if member.status == ChatMember.RESTRICTED:
        return bool(getattr(member, "can_send_messages", False))
    return False
