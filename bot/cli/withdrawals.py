"""`newsbot release`: the article files gone and held are withdrawn, by the running bot."""

from __future__ import annotations

from bot.articles.withdrawals import RELEASE_ASKED
from bot.foundation.config import Config
from storage import open_store


def release_command(config: Config) -> int:
    """Leave the mark at which the running bot (or its next start) withdraws the article
    files gone, held or in their grace: only the bot knows which are, and withdraws them."""
    store = open_store(config.db_path, create=False)
    try:
        store.flags.set_meta(RELEASE_ASKED, "1")
    finally:
        store.close()
    print(
        "release asked: the running bot withdraws the article files gone and held within a "
        "second (or at its next start); /errors and /healthz stop naming them"
    )
    return 0
