"""The environment of a newsbot that a test or a benchmark starts as a process: this one's,
without the machine's own TELEGRAM_ and NEWSBOT_ settings."""

from __future__ import annotations

import os


def clean_environ(**settings: str) -> dict[str, str]:
    """`os.environ` without any TELEGRAM_ or NEWSBOT_ variable, then `settings`."""
    ours = ("TELEGRAM_", "NEWSBOT_")
    return {**{k: v for k, v in os.environ.items() if not k.startswith(ours)}, **settings}
