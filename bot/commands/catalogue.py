"""Every command the bot answers, with its one-line help: /help and the menu read these.

`[@chat]`: a group or channel the sender administers, managed from here (`targets`).
"""

from __future__ import annotations

from telegram import BotCommand

SUBSCRIBER_COMMANDS = [
    ("start", "register this chat and pick topics"),
    ("help", "every command, one line each"),
    ("topics", "[@chat]: known topics; buttons follow or drop them"),
    ("topic", "<name>: the newest articles of a topic"),
    ("subscribe", "[@chat] <topic>[, <topic>...] or all: follow topics"),
    ("unsubscribe", "[@chat] <topic> or all: stop following"),
    ("subscriptions", "[@chat]: what this chat (or that one) follows, and its filters"),
    ("filter", "[@chat] quality <0-100> | mute|unmute <word> | require|unrequire <word> | clear"),
    ("latest", "[@chat] [n]: the newest n articles of your topics (default 5, max 20)"),
    ("search", "<words>: find articles by title and excerpt"),
    ("top", "[hours]: the hottest articles of the last 24 hours (or hours)"),
    ("settings", "[@chat]: how and when pushes arrive here (or there), with buttons"),
    ("set", "[@chat] <setting> <value>: format, silent, quiet, timezone, digest, language"),
    ("export", "this chat's topics, filters and settings as a file"),
    ("import", "apply an exported file (send it with this caption, or reply)"),
    ("stop", "[@chat]: stop all pushes to this chat (or that one)"),
]
ADMIN_COMMANDS = [
    ("stats", "subscribers, articles, pushes, errors"),
    ("broadcast", "<text>: a message to every active chat"),
    ("pause", "hold all pushes"),
    ("resume", "release held pushes"),
    ("errors", "the latest bad article files and why"),
]


def bot_commands(entries: list[tuple[str, str]]) -> list[BotCommand]:
    return [BotCommand(name, text[:256]) for name, text in entries]
