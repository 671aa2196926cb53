"""Every command the bot answers, with its one-line help: /help and the menu read these.

`[@chat]`: a group or channel the sender administers, managed from here (`targets`).
The help texts are English message ids, translated where they are shown.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError

from bot.foundation.translations import LANGUAGES, N_, SOURCE_LANGUAGE, Words, words_in

log = logging.getLogger(__name__)

SUBSCRIBER_COMMANDS = [
    ("start", N_("register this chat and pick topics")),
    ("help", N_("every command, one line each")),
    ("topics", N_("[@chat]: known topics; buttons follow or drop them")),
    ("topic", N_("<name>: the newest articles of a topic")),
    ("subscribe", N_("[@chat] <topic>[, <topic>...] or all: follow topics")),
    ("unsubscribe", N_("[@chat] <topic> or all: stop following")),
    ("subscriptions", N_("[@chat]: what this chat (or that one) follows, and its filters")),
    (
        "filter",
        N_("[@chat] quality <0-100> | mute|unmute <word> | require|unrequire <word> | clear"),
    ),
    ("latest", N_("[@chat] [n]: the newest n articles of your topics (default 5, max 20)")),
    ("search", N_("<words>: find articles by title and excerpt")),
    ("top", N_("[@chat] [hours]: the hottest articles of the last 24 hours (or hours)")),
    ("settings", N_("[@chat]: how and when pushes arrive here (or there), with buttons")),
    (
        "set",
        N_("[@chat] <setting> <value>: format, silent, quiet, timezone, digest, language, backlog"),
    ),
    ("export", N_("[@chat]: this chat's (or that one's) topics, filters and settings as a file")),
    ("import", N_("[@chat]: apply an exported file here (or there): as its caption, or in reply")),
    ("stop", N_("[@chat]: stop all pushes to this chat (or that one)")),
]
ADMIN_COMMANDS = [
    ("stats", N_("subscribers, articles, pushes, errors")),
    ("broadcast", N_("<text>: a message to every active chat")),
    ("pause", N_("hold all pushes")),
    ("resume", N_("release held pushes")),
    ("errors", N_("the latest bad article files and why")),
    ("release", N_("withdraw the article files gone and held (many went at once)")),
]


def bot_commands(entries: list[tuple[str, str]], words: Words) -> list[BotCommand]:
    """The menu entries of these commands, described in the language of `words`."""
    return [BotCommand(name, words.gettext(text)[:256]) for name, text in entries]


async def register_menus(bot: Bot, admin_ids: Iterable[int]) -> None:
    """The command menu for everyone, and the admin commands where admins see them, in
    each of our languages (the English one is every other language's menu)."""
    menus = [
        (
            None if language == SOURCE_LANGUAGE else language,
            bot_commands(SUBSCRIBER_COMMANDS, words_in(language)),
            bot_commands(ADMIN_COMMANDS, words_in(language)),
        )
        for language in LANGUAGES
    ]
    for code, everyone, _ in menus:
        await bot.set_my_commands(everyone, scope=BotCommandScopeDefault(), language_code=code)
    for admin_id in sorted(admin_ids):
        try:
            for code, everyone, admin in menus:
                await bot.set_my_commands(
                    everyone + admin, scope=BotCommandScopeChat(admin_id), language_code=code
                )
        except TelegramError as error:  # an admin who never talked to the bot
            log.warning("cannot set the admin menu for %d: %s", admin_id, error)
