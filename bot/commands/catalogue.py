"""Every command the bot answers, with its one-line help: /help and the menu read these.

`[@chat]`: a group or channel the sender administers, managed from here (`targets`).
The help texts are English message ids, translated where they are shown.
"""

from __future__ import annotations

from telegram import BotCommand

from bot.translations import N_, Words

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
    ("top", N_("[hours]: the hottest articles of the last 24 hours (or hours)")),
    ("settings", N_("[@chat]: how and when pushes arrive here (or there), with buttons")),
    ("set", N_("[@chat] <setting> <value>: format, silent, quiet, timezone, digest, language")),
    ("export", N_("this chat's topics, filters and settings as a file")),
    ("import", N_("apply an exported file (send it with this caption, or reply)")),
    ("stop", N_("[@chat]: stop all pushes to this chat (or that one)")),
]
ADMIN_COMMANDS = [
    ("stats", N_("subscribers, articles, pushes, errors")),
    ("broadcast", N_("<text>: a message to every active chat")),
    ("pause", N_("hold all pushes")),
    ("resume", N_("release held pushes")),
    ("errors", N_("the latest bad article files and why")),
]


def bot_commands(entries: list[tuple[str, str]], words: Words) -> list[BotCommand]:
    """The menu entries of these commands, described in the language of `words`."""
    return [BotCommand(name, words.gettext(text)[:256]) for name, text in entries]
