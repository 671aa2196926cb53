"""The documents that users rely on say what the code does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.foundation.config import SETTINGS, known_settings
from storage import open_store

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs"


def test_env_example_lists_every_setting() -> None:
    """.env.example names exactly the settings of config's table."""
    listed = re.findall(
        r"^((?:NEWSBOT|TELEGRAM)_[A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M
    )
    assert sorted(listed) == sorted(known_settings())


def test_the_configuration_page_documents_every_setting_as_the_table_means_it() -> None:
    """The Configuration page's table has one row per setting, with the table's meaning."""
    page = (DOCS / "operators" / "configuration.md").read_text()
    rows = re.findall(r"^\| `((?:NEWSBOT|TELEGRAM)_[A-Z_]+)` \| [^|]* \| (.*) \|$", page, re.M)
    assert sorted(rows) == sorted((setting.name, setting.meaning) for setting in SETTINGS)


def test_readme_gives_the_test_command_that_ci_runs() -> None:
    """README's command ends in `pytest`, which is what `.ci/run` runs last."""
    readme = (ROOT / "README.md").read_text()
    assert ".venv/bin/pip install '.[test]' && .venv/bin/pytest\n" in readme
    assert (ROOT / ".ci" / "run").read_text().rstrip().endswith("\npytest")


def test_readme_is_short_and_its_links_lead_to_files() -> None:
    """A newcomer's page under 150 lines; every relative link in it names a file that exists."""
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) < 150
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", readme)
    assert links, "README links to no page"
    for link in links:
        if not link.startswith(("http://", "https://")):
            assert (ROOT / link).is_file(), link


def test_ci_builds_the_docs_site_strictly_outside_the_repository() -> None:
    """`mkdocs build --strict` fails on a broken link; the site goes to a temporary folder."""
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'mkdocs build --strict --site-dir "$(mktemp -d)/site"' in ci
    assert "site/" in (ROOT / ".gitignore").read_text().splitlines()


def test_db_status_example_shows_this_versions_schema_and_tables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The example's schema line and table names are what `newsbot db status` prints today
    (the sizes and counts are the example's own)."""
    page = (DOCS / "operators" / "command-line.md").read_text()
    example = page.split("$ newsbot db status\n", 1)[1].split("\n$ ", 1)[0].splitlines()
    open_store(tmp_path / "newsbot.db").close()
    monkeypatch.setenv("NEWSBOT_DB", str(tmp_path / "newsbot.db"))
    assert main(["db", "status"]) == 0
    printed = capsys.readouterr().out.splitlines()
    stale = (
        "docs/operators/command-line.md's `newsbot db status` example is out of date (a new migration or table?): "
        "paste a real run's output there"
    )
    assert example[1] == printed[1], stale  # schema     <last migration> (<n> applied)
    tables = [line.split()[0] for line in printed[4:]]
    assert [line.split()[0] for line in example[4:]] == tables, stale
