"""What importing a module loads: the parser and the error tree stay light, and so does\nevery `newsbot` verb but `run` and `ingest`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from storage import open_store
from tests.articles import SAMPLE
from tests.environ import clean_environ


def modules_loaded_by(module: str) -> set[str]:
    """The modules a fresh interpreter holds after importing `module`."""
    result = subprocess.run(
        [sys.executable, "-c", f"import sys, {module}; print('\\n'.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return set(result.stdout.split())


@pytest.mark.parametrize(
    "module",
    ["bot.articles.parsing", "bot.foundation.errors", "bot.articles.reading", "storage.errors"],
)
def test_parsing_and_errors_do_not_load_sqlite_utils(module: str) -> None:
    loaded = modules_loaded_by(module)
    assert module in loaded
    assert "sqlite_utils" not in loaded


@pytest.mark.parametrize("module", ["bot.articles.watcher", "bot.delivery.sender"])
def test_watcher_and_sender_do_not_load_the_http_server(module: str) -> None:
    loaded = modules_loaded_by(module)
    assert "bot.foundation.metrics" in loaded
    assert "bot.foundation.health" not in loaded


def test_store_still_loads_through_the_package() -> None:
    """`from storage import Store` keeps working: the package loads it on first use."""
    loaded = modules_loaded_by("storage")
    assert "sqlite_utils" not in loaded
    from storage import Store, open_store
    from storage.store import Store as DefinedStore

    assert Store is DefinedStore
    assert callable(open_store)


# what only `run` and `ingest` need: Telegram's library (and its HTTP stack), the watcher
HEAVY = ("telegram", "watchdog", "aiohttp", "httpx")
LIGHT_VERBS = ["--help", "check SAMPLE", "preview SAMPLE", "stats", "errors", "db status"]
SHOW_MODULES = """
import sys
from bot.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print("--modules--", *sys.modules, sep="\\n")
"""


@pytest.mark.parametrize("verb", LIGHT_VERBS)
def test_light_verbs_start_without_telegram_or_the_watcher(verb: str, tmp_path: Path) -> None:
    """Each `newsbot` start of these verbs imports only what it needs (tests/test_cli.py
    starts about 30): no Telegram, no watchdog, and no SQLite where no database is read."""
    open_store(tmp_path / "news.db").close()
    env = clean_environ()
    argv = verb.replace("SAMPLE", str(SAMPLE)).split()
    result = subprocess.run(
        [sys.executable, "-c", SHOW_MODULES, *argv],
        env={**env, "NEWSBOT_DB": str(tmp_path / "news.db")},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    loaded = set(result.stdout.split("--modules--")[1].split())
    assert "bot.cli.main" in loaded
    assert {name.split(".")[0] for name in loaded} & set(HEAVY) == set()
    if "SAMPLE" in verb or verb == "--help":
        assert "sqlite_utils" not in loaded
