"""How every chat command and button handler begins, written once as a decorator.

An opening finds the words to answer in (the feed's language), the feed the command acts
on (`Targets`: this chat, or another chat named first) and what the command's words say
(its `read`); when one of them fails it has answered already (a refusal, or the usage
hint), and the handler does not run. The handler gets them as arguments:

    @command(_topic_args, _subscribe_usage, changes=True)
    async def subscribe_command(self, update, context, words, target, topics) -> None:
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol, TypeVar, overload

from telegram import CallbackQuery, Update
from telegram.ext import ContextTypes

from bot.chat.languages import words_of
from bot.chat.targets import Target, Targets, as_given, here
from bot.foundation.translations import Words
from storage import Store

T = TypeVar("T")
Context = ContextTypes.DEFAULT_TYPE


class Handlers(Protocol):
    """What an opening needs of the object whose handler it begins."""

    store: Store
    targets: Targets


H = TypeVar("H", bound=Handlers)
Handler = Callable[[H, Update, Context, Words, Target, T], Awaitable[None]]
Callback = Callable[[H, Update, Context], Coroutine[Any, Any, None]]
Usage = Callable[[Words], str]  # the usage hint (HTML) in the answer's language


@overload
def command(*, changes: bool = False) -> Callable[[Handler[H, tuple[str, ...]]], Callback[H]]: ...
@overload
def command(
    read: Callable[[tuple[str, ...]], T | None], usage: Usage, *, changes: bool = False
) -> Callable[[Handler[H, T]], Callback[H]]: ...
def command(
    read: Callable[[tuple[str, ...]], Any] = as_given,
    usage: Usage | None = None,
    *,
    changes: bool = False,
) -> Callable[[Handler[H, Any]], Callback[H]]:
    """A command that acts on this chat's feed or on the chat named first (`Targets.asked`:
    the refusal, then `usage` when `read` finds nothing, then the right to change the feed
    when it `changes` it); the handler gets the words, the target and what `read` read."""

    def decorate(handler: Handler[H, Any]) -> Callback[H]:
        @functools.wraps(handler)
        async def opened(self: H, update: Update, context: Context) -> None:
            words = words_of(self.store, update)
            hint = "" if usage is None else usage(words)
            asked = await self.targets.asked(update, context, words, read, hint, changes=changes)
            if asked is not None:
                await handler(self, update, context, words, *asked)

        return opened

    return decorate


def this_chat(handler: Handler[H, tuple[str, ...]]) -> Callback[H]:
    """A command that acts on this chat's feed only (no chat may be named), the chat
    remembered on the way; the handler gets the words, the target and no words read."""

    @functools.wraps(handler)
    async def opened(self: H, update: Update, context: Context) -> None:
        words = words_of(self.store, update)
        await handler(self, update, context, words, here(self.store, update), ())

    return opened


def button(
    changes: Callable[[str], bool],
) -> Callable[[Handler[H, CallbackQuery]], Callback[H]]:
    """A pressed inline button (`Targets.of_button`: a broken button, a feed not there, or
    a lost right is answered there; the right to change the feed is checked first for the
    data that `changes` it); the handler gets the words, the target and the press."""

    def decorate(handler: Handler[H, CallbackQuery]) -> Callback[H]:
        @functools.wraps(handler)
        async def opened(self: H, update: Update, context: Context) -> None:
            words = words_of(self.store, update)
            pressed = await self.targets.of_button(update, context, words, changes)
            if pressed is not None:
                await handler(self, update, context, words, *pressed)

        return opened

    return decorate
