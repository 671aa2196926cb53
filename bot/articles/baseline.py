"""The first start's baseline: the files already in the folder are stored, never pushed.

The scan that takes it runs while the folder is already watched, and may read a file
written after it began: that file is news, not baseline. It is left to the live path
(stored and pushed as if seen live) when an event came for it since the watch began, or
when its mtime is not older than the scan; "newsbot is running" is logged only after.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Container
from pathlib import Path

from bot.articles.ingest import Loaded

log = logging.getLogger("bot.articles.watcher")


class Baseline:
    """The first start's scan, begun now; `seen` holds the files events came for."""

    def __init__(self, seen: Container[Path]) -> None:
        self.began_ns = time.time_ns()
        self.seen = seen

    def is_news(self, item: Loaded) -> bool:
        """Whether the scan read a file written after it began."""
        if item.path in self.seen:
            return True
        return item.state is not None and item.state.mtime_ns >= self.began_ns

    @staticmethod
    def taken(found: int) -> None:
        log.info(
            "first start: the files already in the folder are the baseline, not pushed "
            "(%d article files stored)",
            found,
        )
