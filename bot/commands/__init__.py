"""The chat commands: what subscribers type, and the inline buttons that go with them.

- `catalogue`: every command name with its one-line help (for /help and the menu)
- `targets`: which feed an update is about
- `permissions`: who may change a feed, with a short cache of admin checks
- `subscriber`: the subscriber command handlers
- `filters`: `/filter` (minimum quality, muted and required words)
- `keyboards`: the topic buttons and what they show
- `replies`: `reply_html`, which admin commands use too, and texts answers share
- `languages`: `words_of`, the language an answer is in (the feed's setting, else the
  sender's)
"""

from bot.commands.catalogue import ADMIN_COMMANDS, SUBSCRIBER_COMMANDS, bot_commands
from bot.commands.permissions import ANONYMOUS_ADMIN
from bot.commands.replies import reply_html
from bot.commands.subscriber import Commands

__all__ = [
    "ADMIN_COMMANDS",
    "ANONYMOUS_ADMIN",
    "SUBSCRIBER_COMMANDS",
    "Commands",
    "bot_commands",
    "reply_html",
]
