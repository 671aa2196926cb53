"""The `newsbot` command line: verbs, exit codes, and what each prints."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import Progress, build_parser, main
from storage import open_store
from tests.articles import SAMPLE, article_text, write_article


def newsbot(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real command (`python -m bot`) in a clean environment."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "NEWSBOT_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env={**base, **(env or {})},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("verb", ["run", "ingest", "check", "preview", "stats"])
def test_every_verb_has_help(verb: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        build_parser().parse_args([verb, "--help"])
    assert caught.value.code == 0
    assert f"newsbot {verb}" in capsys.readouterr().out
    subparsers = build_parser()._subparsers
    assert subparsers is not None
    helps = {a.dest: a.help for a in subparsers._group_actions[0]._choices_actions}  # type: ignore[attr-defined]
    assert helps[verb]


def test_run_without_token_prints_one_line_and_exits_2(tmp_path: Path) -> None:
    result = newsbot("run", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "newsbot: TELEGRAM_BOT_TOKEN is not set: get one from @BotFather"
    ]
    assert "Traceback" not in result.stderr


def test_bad_setting_stops_run_with_one_line(tmp_path: Path) -> None:
    result = newsbot("run", "--dry-run", env={"NEWSBOT_RATE_GLOBAL": "fast"}, cwd=tmp_path)
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == "newsbot: NEWSBOT_RATE_GLOBAL is invalid: expected messages/s > 0, got 'fast'"
    )


def test_missing_articles_folder_is_a_clear_error(tmp_path: Path) -> None:
    result = newsbot(
        "run", "--dry-run", env={"NEWSBOT_ARTICLES_DIR": str(tmp_path / "nope")}, cwd=tmp_path
    )
    assert result.returncode == 2
    assert "NEWSBOT_ARTICLES_DIR is not a folder" in result.stderr


def test_ingest_imports_without_queueing_and_summarises(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A later ingest of old files must not flood subscribers: it never queues pushes."""
    folder = tmp_path / "old"
    folder.mkdir()
    for index in range(3):
        write_article(folder / f"{index}.txt", webUrl=f"https://a.example/{index}")
    write_article(folder / "draft.txt", webUrl="https://a.example/draft", published=False)
    (folder / "bad.txt").write_text(article_text(title=None))
    (folder / "worse.txt").write_text("---\ntitle: [\n---\n")
    db = tmp_path / "n.db"
    store = open_store(db)
    store.chats.register(1, "private", None)
    store.feeds.set_all_topics(store.feeds.ensure(1).id, True)
    store.close()
    monkeypatch.setenv("NEWSBOT_DB", str(db))
    assert main(["ingest", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "imported 4, updated 0, unchanged 0, drafts 1, removed 0, duplicates 0, errors 2" in out
    assert "1  title is missing" in out and "1  invalid YAML" in out
    store = open_store(db)
    assert store.db.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0] == 0
    assert len(store.listing.latest(10)) == 3
    store.close()
    assert main(["ingest", str(folder)]) == 0
    assert "imported 0, updated 0, unchanged 6" in capsys.readouterr().out


def test_check_reports_each_problem_and_exits_1(tmp_path: Path) -> None:
    good = write_article(tmp_path / "good.txt")
    bad = tmp_path / "bad.txt"
    bad.write_text(article_text(published="false"))
    result = newsbot("check", str(good), str(bad), str(SAMPLE))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{good}: ok",
        f"{bad}: published must be true or false, got the string 'false'",
        f"{SAMPLE}: draft",
    ]


def test_check_of_good_files_exits_0(tmp_path: Path) -> None:
    assert newsbot("check", str(write_article(tmp_path / "a.txt"))).returncode == 0


def test_preview_prints_the_push(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["preview", str(SAMPLE)]) == 0
    out = capsys.readouterr().out
    assert '<b><a href="https://www.dailymail.co.uk/sciencetech/article-8047615/' in out
    assert "[photo: https://i.dailymail.co.uk/" in out
    assert "[draft: not pushed until published: true]" in out


def test_stats_prints_the_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSBOT_DB", str(tmp_path / "s.db"))
    assert main(["stats"]) == 0
    out = capsys.readouterr().out
    assert "Active chats: 0" in out and "Pushes: 0 sent, 0 pending, 0 failed" in out


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_ingest_progress_is_a_bar_on_a_terminal_and_plain_lines_elsewhere() -> None:
    plain = io.StringIO()
    progress = Progress(20, plain)
    for done in range(1, 21):
        progress.update(done)
    progress.done()
    assert plain.getvalue().splitlines()[:2] == ["ingest: 2/20 files", "ingest: 4/20 files"]
    assert len(plain.getvalue().splitlines()) == 10

    terminal = Terminal()
    progress = Progress(20, terminal)
    for done in (5, 20):
        progress.update(done)
    progress.done()
    assert "\r" in terminal.getvalue() and "20/20" in terminal.getvalue()
    assert "ingest: 20/20 files" not in terminal.getvalue()
