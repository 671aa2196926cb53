"""README's quick start, followed as a newcomer would, against the stand-in: a first push."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.processes import BotProcess, until
from tests.standin import StandIn

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()
QUICK_START = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
NEWCOMER = 4242


@pytest.fixture
def standin() -> Iterator[StandIn]:
    server = StandIn().start()
    yield server
    server.stop()


def step(number: int) -> str:
    """The text of the quick start's numbered step."""
    found = re.search(rf"^{number}\. (.*?)(?=^\d+\. |\Z)", QUICK_START, re.M | re.S)
    assert found, f"the quick start has no step {number}"
    return found[1]


def reply_to(standin: StandIn, command: str) -> str:
    """The newcomer sends `command` in a private chat with the bot; the bot's answer."""
    before = len(standin.messages_to(NEWCOMER))
    standin.say(NEWCOMER, command)
    standin.wait_for(lambda: len(standin.messages_to(NEWCOMER)) > before, timeout=20)
    return standin.messages_to(NEWCOMER)[-1].text or ""


def test_the_quick_start_is_on_the_first_screen() -> None:
    """The steps to a first push start within README's first 20 lines."""
    assert README.splitlines().index("## Quick start: your first push") < 20


def test_readme_steps_lead_from_a_fresh_folder_to_a_push_in_the_chat(
    tmp_path: Path, standin: StandIn
) -> None:
    """Install's defaults (./articles, ./newsbot.db), the bot opened with /start and
    /subscribe, a file dropped as README writes it: the chat gets its push. A file that was
    in the folder at the first start is the baseline, as README says, and is never pushed."""
    install = step(1)
    assert "mkdir -p articles && TELEGRAM_BOT_TOKEN=PASTE-YOUR-TOKEN .venv/bin/newsbot run" in (
        install
    )
    assert "**baseline**: stored, never pushed" in install
    (tmp_path / "articles").mkdir()
    baseline = ROOT / "tests" / "data" / "000_3f6c152225941a7d.txt"
    text = baseline.read_text().replace("published: false", "published: true")
    (tmp_path / "articles" / "already-there.txt").write_text(text)  # topics: [AI, ...]
    # the token and the Bot API are the stand-in's; the folder and database are the defaults
    bot = BotProcess(tmp_path, standin, NEWSBOT_ARTICLES_DIR="", NEWSBOT_DB="").start()
    until(lambda: "newsbot is running as @" in bot.output())
    username = re.search(r"newsbot is running as (@\w+)", bot.output())
    assert username and username[1] == "@news_test_bot"
    assert f"watching {tmp_path / 'articles'}, database {tmp_path / 'newsbot.db'}" in (bot.output())

    commands = re.findall(r"`(/[^`]+)`", step(2))
    assert commands == ["/start", "/subscribe AI"], step(2)
    replies = [reply_to(standin, command) for command in commands]
    assert "AI" in replies[-1]

    heredoc = re.search(r"cat > articles/(\S+) <<'ARTICLE'\n(.*?)\n *ARTICLE\n", step(3), re.S)
    assert heredoc, step(3)
    name = heredoc[1]
    article = "\n".join(line.removeprefix("   ") for line in heredoc[2].splitlines()) + "\n"
    before = len(standin.messages_to(NEWCOMER))
    (tmp_path / "articles" / name).write_text(article)
    standin.wait_for(lambda: len(standin.messages_to(NEWCOMER)) > before, timeout=20)
    push = standin.messages_to(NEWCOMER)[-1]
    title = re.search(r"^title: (.*)$", article, re.M)
    assert title and push.html is not None
    assert f'<a href="https://example.com/hello">{title[1]}</a>' in push.html
    assert "#AI" in push.html
    assert bot.stop() == 0
    pushed = " ".join(sent.html or sent.text or "" for sent in standin.messages_to(NEWCOMER))
    assert "Facial recognition" not in pushed, "the first start's files were pushed"
