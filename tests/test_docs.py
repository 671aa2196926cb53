"""The documents that users rely on say what the code does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.foundation.config import SETTINGS, known_settings
from storage import open_store

ROOT = Path(__file__).parent.parent


def settings_read_by_the_code() -> set[str]:
    source = (ROOT / "bot" / "foundation" / "config.py").read_text()
    return set(re.findall(r'"((?:NEWSBOT|TELEGRAM)_[A-Z_]+)"', source))


def test_env_example_lists_every_setting() -> None:
    """.env.example names exactly the settings of config's table."""
    listed = re.findall(
        r"^((?:NEWSBOT|TELEGRAM)_[A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M
    )
    assert sorted(listed) == sorted(known_settings())


def test_readme_documents_every_setting_as_the_table_means_it_and_the_test_command() -> None:
    """README's Configuration table has one row per setting, with the table's meaning."""
    readme = (ROOT / "README.md").read_text()
    rows = re.findall(r"^\| `((?:NEWSBOT|TELEGRAM)_[A-Z_]+)` \| [^|]* \| (.*) \|$", readme, re.M)
    assert sorted(rows) == sorted((setting.name, setting.meaning) for setting in SETTINGS)
    assert ".venv/bin/pytest" in readme
    assert "pytest" in (ROOT / ".ci" / "run").read_text()


def test_readme_db_status_example_shows_this_versions_schema_and_tables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The example's schema line and table names are what `newsbot db status` prints today
    (the sizes and counts are the example's own)."""
    readme = (ROOT / "README.md").read_text()
    example = readme.split("$ newsbot db status\n", 1)[1].split("\n$ ", 1)[0].splitlines()
    open_store(tmp_path / "newsbot.db").close()
    monkeypatch.setenv("NEWSBOT_DB", str(tmp_path / "newsbot.db"))
    assert main(["db", "status"]) == 0
    printed = capsys.readouterr().out.splitlines()
    stale = (
        "README's `newsbot db status` example is out of date (a new migration or table?): "
        "paste a real run's output there"
    )
    assert example[1] == printed[1], stale  # schema     <last migration> (<n> applied)
    tables = [line.split()[0] for line in printed[4:]]
    assert [line.split()[0] for line in example[4:]] == tables, stale
