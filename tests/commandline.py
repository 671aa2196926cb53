"""The `newsbot` command run as a subprocess, for the verbs' tests."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.articles import write_article
from tests.environ import clean_environ


def newsbot(
    *args: str,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    wrap: Callable[[list[str]], list[str]] = list,
) -> subprocess.CompletedProcess[str]:
    """Run the real command (`python -m bot`, through `wrap`) in a clean environment."""
    base = clean_environ()
    return subprocess.run(
        wrap([sys.executable, "-m", "bot", *args]),
        env={**base, **(env or {})},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def ingested(folder: Path, db: Path, count: int) -> None:
    """`count` articles written to a new `folder` and imported into `db` by `newsbot ingest`."""
    folder.mkdir()
    for index in range(count):
        write_article(folder / f"{index}.txt", webUrl=f"https://a.example/{index}")
    env = {"NEWSBOT_DB": str(db), "NEWSBOT_ARTICLES_DIR": str(folder)}
    assert newsbot("ingest", str(folder), env=env).returncode == 0
