"""Which feed a command or button acts on: this chat (or the forum topic it was sent in),
or another chat named by `@chat` (or its numeric id) as the first argument.

Another chat is looked up with `getChat`; the sender must be its creator or an
administrator, and the bot must be there with the right to post. Buttons for another
chat, or for a forum topic, carry that chat and thread in their callback data
(`><chat>.<thread>|<data>`), and the permission is checked again when one is pressed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import TypeVar

from telegram import CallbackQuery, Chat, Update
from telegram.error import BadRequest, Forbidden
from telegram.ext import ContextTypes

from bot.chat.permissions import ADMINS_ONLY, STALE_BUTTON, Permissions
from bot.chat.replies import reply_html
from bot.foundation.translations import N_, Words
from storage import Feed, Store
from storage.feeds import GENERAL

CHAT_ARGUMENT = re.compile(r"@[A-Za-z][A-Za-z0-9_]{3,31}|-\d{1,20}")
SCOPE_MARK = ">"
SCOPE = re.compile(r"(-?[0-9]{1,16})\.([0-9]{1,10})")  # chat ids fit 52 bits, threads 32
THIS_CHAT = N_("This chat")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Target:
    """The feed a command acts on, the command's words after the chat, and the feed's name."""

    feed: Feed
    args: tuple[str, ...]
    name: str  # THIS_CHAT, or the other chat as its @username or title (HTML-escaped)
    remote: bool  # another chat, named in the command: its permission is checked already

    def called(self, words: Words) -> str:
        """The feed's name in an answer: "This chat" in the answer's language, or the
        other chat's own name."""
        return self.name if self.remote else words.gettext(self.name)

    @property
    def scope(self) -> str:
        """What buttons for this feed carry before their own data: nothing for this chat
        itself, else which chat and thread they act on."""
        if not self.remote and self.feed.thread_id == GENERAL:
            return ""
        return f"{SCOPE_MARK}{self.feed.chat_id}.{self.feed.thread_id}|"


def thread_of(update: Update) -> int:
    """The forum topic an update was sent in; General (0) outside topics."""
    message = update.effective_message
    if message is not None and message.is_topic_message and message.message_thread_id:
        return message.message_thread_id
    return GENERAL


def feed_of(store: Store, update: Update) -> Feed:
    """The feed of the chat (and forum topic) an update came from, the chat remembered
    (or reactivated) on the way."""
    chat = update.effective_chat
    assert chat is not None
    store.chats.register(chat.id, chat.type, chat.title or chat.username)
    return store.feeds.ensure(chat.id, thread_of(update))


def here(store: Store, update: Update) -> Target:
    """The feed of the chat (and topic) an update came from, as a target."""
    return Target(feed_of(store, update), (), THIS_CHAT, remote=False)


def _scope(data: str) -> tuple[int, int, str] | None:
    """The chat, thread and own data of scoped button data (`><chat>.<thread>|<data>`);
    None when it is mangled."""
    head, _, rest = data[len(SCOPE_MARK) :].partition("|")
    found = SCOPE.fullmatch(head)
    if found is None:
        return None
    return int(found[1]), int(found[2]), rest


def as_given(args: tuple[str, ...]) -> tuple[str, ...]:
    """The reader of a command's words that takes them as they are."""
    return args


def chat_argument(args: tuple[str, ...]) -> str | None:
    """The `@chat` or numeric chat id a command's arguments start with, if any."""
    if args and CHAT_ARGUMENT.fullmatch(args[0]):
        return args[0]
    return None


def command_args(update: Update, context: ContextTypes.DEFAULT_TYPE) -> tuple[str, ...]:
    """The words after the command: in its text, or in the caption of a document sent
    with the command as its caption (which reaches us without `context.args`)."""
    if context.args is not None:
        return tuple(context.args)
    message = update.effective_message
    caption = message.caption if message is not None else None
    if caption is None or not caption.startswith("/"):
        return ()
    return tuple(caption.split()[1:])


@dataclass(frozen=True, slots=True)
class OneNumber:
    """A reader for `asked`: an optional whole number from 1 to `most` (`default` when
    there is none); None when the words are anything else."""

    default: int
    most: int

    def __call__(self, args: tuple[str, ...]) -> int | None:
        if not args:
            return self.default
        if len(args) > 1 or not (args[0].isdigit() and 1 <= int(args[0]) <= self.most):
            return None
        return int(args[0])


def one_number(default: int, most: int) -> OneNumber:
    """The reader of a command's one optional count (`/top [hours]`, `/latest [n]`)."""
    return OneNumber(default, most)


class Targets:
    """Resolves the feed each command or button acts on, checking rights for other chats."""

    def __init__(self, store: Store, permissions: Permissions) -> None:
        self.store = store
        self.permissions = permissions

    async def asked(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        words: Words,
        read: Callable[[tuple[str, ...]], T | None],
        usage: str,
        *,
        changes: bool = False,
    ) -> tuple[Target, T] | None:
        """The feed a command acts on and what `read` makes of its words after the chat.
        None, after one answer in `words`, when the named chat is refused (`_resolve`),
        when `read` finds nothing in the words (the `usage` hint, HTML), or when the
        command `changes` the feed and the sender may not (`may_change`), in that order."""
        # `/top -5`: a negative number is a chat's id, but where a count may stand it may
        # be a count mistyped, so a chat not found gets the usage hint too
        counting = usage if isinstance(read, OneNumber) else None
        target = await self._resolve(update, context, words, counting)
        if target is None:
            return None
        value = read(target.args)
        if value is None:
            await reply_html(update, usage)
            return None
        if changes and not await self.may_change(update, context, target, words):
            return None
        return target, value

    async def _resolve(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        words: Words,
        counting: str | None = None,
    ) -> Target | None:
        """This chat's feed, or the named chat's after its checks; None after a refusal.
        A numeric chat not found in a command that takes a count (`counting`, its usage
        hint): the refusal and the hint."""
        args = command_args(update, context)
        named = chat_argument(args)
        if named is None:
            return Target(feed_of(self.store, update), args, THIS_CHAT, remote=False)
        user = update.effective_user
        if user is None:
            await reply_html(
                update, words.gettext("Name another chat from a private chat with me.")
            )
            return None
        try:
            chat = await context.bot.get_chat(named)
        except (BadRequest, Forbidden):
            text = words.gettext("I cannot find {chat}: check the name.").format(chat=escape(named))
            if counting is not None and named.startswith("-"):
                text += "\n" + counting
            await reply_html(update, text)
            return None
        if chat.type == Chat.PRIVATE:
            await reply_html(update, words.gettext("Only groups and channels can be named."))
            return None
        refusal = await self.permissions.refusal(context.bot, chat.id, user.id, words)
        if refusal is not None:
            await reply_html(update, escape(refusal, quote=False))
            return None
        title = chat.title or chat.username
        self.store.chats.register(chat.id, chat.type, title)
        name = f"@{chat.username}" if chat.username else escape(title or str(chat.id))
        return Target(self.store.feeds.ensure(chat.id), args[1:], name, remote=True)

    async def of_button(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        words: Words,
        changes: Callable[[str], bool],
    ) -> tuple[Target, CallbackQuery] | None:
        """The feed a pressed button acts on, its own data as the one argument, and the
        press; None (after answering the press in `words`) when the button is broken, or
        names a feed that is not there, or when the presser may not manage that chat or
        (for a button whose data `changes` the feed) may not change it. Button data is
        untrusted: a feed it names is made only after these checks, and only for the
        chat's General or the thread the pressed message sits in (Telegram's word)."""
        query = update.callback_query
        assert query is not None and query.data is not None
        data = query.data
        if not data.startswith(SCOPE_MARK):
            if changes(data) and not await self._may_press_here(update, context, words):
                return None
            return Target(feed_of(self.store, update), (data,), THIS_CHAT, remote=False), query
        scope = _scope(data)
        if scope is None:
            await query.answer(words.gettext(STALE_BUTTON))
            return None
        chat_id, thread_id, data = scope
        here = update.effective_chat
        remote = here is None or here.id != chat_id
        if remote:
            name = await self._remote_name(context, chat_id, query, words)
            if name is None:
                return None
            confirmed = GENERAL
        else:
            if changes(data) and not await self._may_press_here(update, context, words):
                return None
            feed_of(self.store, update)  # remember (or reactivate) this chat
            name, confirmed = THIS_CHAT, thread_of(update)
        feed = self.store.feeds.find(chat_id, thread_id)
        if feed is None and changes(data) and thread_id in (GENERAL, confirmed):
            feed = self.store.feeds.ensure(chat_id, thread_id)
        if feed is None:
            await query.answer(words.gettext(STALE_BUTTON))
            return None
        return Target(feed, (data,), name, remote=remote), query

    async def _remote_name(
        self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, query: CallbackQuery, words: Words
    ) -> str | None:
        """The name of another chat a button acts on; None, after answering the press, when
        the chat is unknown or the presser may not manage it."""
        known = self.store.chats.get(chat_id)
        if known is None:
            await query.answer(words.gettext(STALE_BUTTON))
            return None
        refusal = await self.permissions.refusal(context.bot, chat_id, query.from_user.id, words)
        if refusal is not None:
            await query.answer(refusal)
            return None
        return escape(known.title or str(chat_id))

    async def _may_press_here(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, words: Words
    ) -> bool:
        """Whether the presser may change this chat's feeds, answering the press when not."""
        if await self.permissions.may_change(update, context):
            return True
        assert update.callback_query is not None
        await update.callback_query.answer(words.gettext(ADMINS_ONLY))
        return False

    async def may_change(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, target: Target, words: Words
    ) -> bool:
        """Whether the sender may change the target's feed, saying so (in `words`) when not."""
        if target.remote:
            return True
        return await self.permissions.refuse_unless_allowed(update, context, words)
