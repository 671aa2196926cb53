"""The article format's page (docs/articles.md) shows articles that `newsbot check` passes,
the project's own sample as it is, the push `newsbot preview` prints, and every field the
parser reads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.cli.main import main

ROOT = Path(__file__).parent.parent
PAGE = (ROOT / "docs" / "articles.md").read_text()
SAMPLE = ROOT / "tests" / "data" / "000_3f6c152225941a7d.txt"


def yaml_blocks(text: str) -> list[str]:
    return re.findall(r"^```yaml\n(.*?)^```$", text, re.M | re.S)


def readme_article() -> str:
    readme = (ROOT / "README.md").read_text()
    found = re.search(r"<<'ARTICLE'\n(.*?)\n *ARTICLE\n", readme, re.S)
    assert found, "README's quick start drops no article"
    return "\n".join(line.removeprefix("   ") for line in found[1].splitlines()) + "\n"


@pytest.mark.parametrize("shown", ["minimal", "full", "readme"])
def test_every_article_the_docs_show_passes_newsbot_check(
    shown: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What a reader copies from the docs is a valid article: `newsbot check` exits 0."""
    minimal, full = yaml_blocks(PAGE)
    article = {"minimal": minimal, "full": full, "readme": readme_article()}[shown]
    path = tmp_path / "article.txt"
    path.write_text(article)
    assert main(["check", str(path)]) == 0, capsys.readouterr().out
    assert capsys.readouterr().out.split(": ")[-1].strip() in ("ok", "draft")


def test_the_full_article_is_the_projects_sample_as_it_is() -> None:
    """The page's full article is tests/data's sample, byte for byte, not a shortened copy."""
    assert yaml_blocks(PAGE)[1] == SAMPLE.read_text()


def test_the_preview_shown_is_what_newsbot_preview_prints(
    capsys: pytest.CaptureFixture[str],
) -> None:
    shown = PAGE.split("$ newsbot preview tests/data/000_3f6c152225941a7d.txt\n", 1)[1]
    shown = shown.split("```", 1)[0]
    assert main(["preview", str(SAMPLE)]) == 0
    assert capsys.readouterr().out == shown


def test_the_field_table_has_every_field_the_parser_reads() -> None:
    """Each front matter field that parsing reads has its row: required or not, type, default
    (the static sites' own names, in docs/static-sites.md's table)."""
    source = (ROOT / "bot" / "articles" / "parsing.py").read_text()
    read = set(re.findall(r'(?:\(data, |data\.get\(|data\[)"(\w+)"', source))
    read |= set(re.findall(r'"(\w+)" not in data', source))
    rows = re.findall(r"^\| (`.+?`) \| (required|optional) \|", PAGE, re.M)
    documented = {name for cell, _ in rows for name in re.findall(r"`(\w+)`", cell)}
    sites = (ROOT / "docs" / "static-sites.md").read_text()
    site_rows = re.findall(r"^\| (.*?) \| (.*?) \|", sites, re.M)
    documented |= {
        name for row in site_rows for cell in row for name in re.findall(r"`(\w+)", cell)
    }
    assert read, "found no field in parsing.py"
    assert read <= documented, sorted(read - documented)
    required = {
        name for cell, need in rows if need == "required" for name in re.findall(r"`(\w+)`", cell)
    }
    assert required == {"title", "webUrl"}
