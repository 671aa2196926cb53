"""Every command the bot answers, with its one-line help: /help and the menu read these."""

from __future__ import annotations

from telegram import BotCommand

SUBSCRIBER_COMMANDS = [
    ("start", "register this chat and pick topics"),
    ("help", "every command, one line each"),
    ("topics", "known topics; buttons follow or drop them"),
    ("topic", "<name>: the newest articles of a topic"),
    ("subscribe", "<topic>[, <topic>...] or all: follow topics"),
    ("unsubscribe", "<topic> or all: stop following"),
    ("subscriptions", "what this chat follows, and its filters"),
    ("filter", "quality <0-100> | mute <word> | unmute <word> | clear"),
    ("latest", "[n]: the newest n articles of your topics (default 5, max 20)"),
    ("search", "<words>: find articles by title and excerpt"),
    ("stop", "stop all pushes to this chat"),
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
