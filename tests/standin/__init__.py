"""A local Bot API stand-in on 127.0.0.1: answers `/bot<token>/<method>` like Telegram.

python-telegram-bot reaches it through `base_url`, so its real requests, parsing and
error mapping run. It records what it received, serves updates by long polling with
offsets, validates HTML and lengths, enforces Telegram's flood limits with real 429
replies (unless a test turns them off), refuses chats (403, chat not found, migration)
and image URLs, and knows each group's creator and admins.
Benchmarks use it too. It runs in a thread of its own, so that a bot in the test's
event loop or in a subprocess can talk to it; `python -m tests.standin` runs it as a
process of its own (for benchmarks that must not count its CPU as the bot's).

The parts, by API area: `server` (the thread, the request handler, the tests' handles),
`updates` (what users do, and getUpdates), `chats` (getChat, members, memberships),
`messages` (sends, edits, deletions and their refusals), `inline` (inline queries and
their answers), `flood` (the limits and 429s),
`state` (what all of them read and change), `wire` (the token, forms, JSON replies).
"""

from tests.standin.messages import (
    BAD_IMAGE_MARK,
    CAPTIONED,
    DELETE_WINDOW,
    EDIT_METHODS,
    NOT_MODIFIED,
    SEND_METHODS,
)
from tests.standin.server import StandIn
from tests.standin.state import FloodRules, Sent, Stats
from tests.standin.wire import BOT_USER, JSON_FIELDS, TOKEN

__all__ = [
    "BAD_IMAGE_MARK",
    "BOT_USER",
    "CAPTIONED",
    "DELETE_WINDOW",
    "EDIT_METHODS",
    "JSON_FIELDS",
    "NOT_MODIFIED",
    "SEND_METHODS",
    "TOKEN",
    "FloodRules",
    "Sent",
    "StandIn",
    "Stats",
]
