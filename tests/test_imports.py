"""What importing a module loads: the parser and the error tree stay light."""

from __future__ import annotations

import subprocess
import sys

import pytest


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


@pytest.mark.parametrize("module", ["bot.parsing", "bot.errors", "bot.files", "storage.errors"])
def test_parsing_and_errors_do_not_load_sqlite_utils(module: str) -> None:
    loaded = modules_loaded_by(module)
    assert module in loaded
    assert "sqlite_utils" not in loaded


@pytest.mark.parametrize("module", ["bot.watcher", "bot.delivery"])
def test_watcher_and_sender_do_not_load_the_http_server(module: str) -> None:
    loaded = modules_loaded_by(module)
    assert "bot.metrics" in loaded
    assert "bot.health" not in loaded


def test_store_still_loads_through_the_package() -> None:
    """`from storage import Store` keeps working: the package loads it on first use."""
    loaded = modules_loaded_by("storage")
    assert "sqlite_utils" not in loaded
    from storage import Store, open_store
    from storage.store import Store as DefinedStore

    assert Store is DefinedStore
    assert callable(open_store)
