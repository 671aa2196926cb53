"""Which files of the folder are articles, and reading one by the folder's rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ArticleError
from bot.files import is_ignored_name, read_article_file
from tests.articles import article_text


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text(article_text(excerpt="x" * 5000))
    with pytest.raises(ArticleError, match="too large"):
        read_article_file(path, tmp_path, max_bytes=1000)


def test_symlink_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text(article_text())
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "link.txt").symlink_to(outside)
    with pytest.raises(ArticleError, match="symlink pointing outside the folder"):
        read_article_file(folder / "link.txt", folder, max_bytes=10_000)


def test_symlink_inside_the_folder_is_read(tmp_path: Path) -> None:
    (tmp_path / "real.txt").write_text(article_text())
    (tmp_path / "link.txt").symlink_to(tmp_path / "real.txt")
    assert read_article_file(tmp_path / "link.txt", tmp_path, max_bytes=10_000).size > 0


@pytest.mark.parametrize(
    "name", [".hidden", "a.txt~", ".a.txt.swp", "a.txt.swp", "a.tmp", "a.part"]
)
def test_editor_and_temp_files_are_ignored(name: str) -> None:
    assert is_ignored_name(name)


def test_ordinary_names_are_not_ignored() -> None:
    assert not is_ignored_name("000_3f6c152225941a7d.txt")
    assert not is_ignored_name("article.md")


def test_symlink_loop_is_refused(tmp_path: Path) -> None:
    (tmp_path / "b.txt").symlink_to(tmp_path / "a.txt")
    (tmp_path / "a.txt").symlink_to(tmp_path / "b.txt")
    with pytest.raises(ArticleError, match="symlink loop"):
        read_article_file(tmp_path / "a.txt", tmp_path, max_bytes=1000)
