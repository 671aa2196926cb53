"""Settings: defaults, .env and environment, and one clear line for each bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load_config
from bot.errors import ConfigError
from tests.standin import TOKEN


def test_defaults_match_the_product_contract() -> None:
    config = load_config({})
    assert config.token is None
    assert config.base_url == "https://api.telegram.org/bot"
    assert config.articles_dir == Path("articles") and config.db_path == Path("newsbot.db")
    assert config.admin_ids == frozenset() and config.log_level == "INFO"


def test_env_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text(
        f'TELEGRAM_BOT_TOKEN="{TOKEN}"\nexport NEWSBOT_DB=/data/from-file.db\n'
        "NEWSBOT_ADMIN_IDS=1, 2\n# a comment\nNEWSBOT_LOG_LEVEL=debug\n"
    )
    config = load_config({"NEWSBOT_DB": "/data/from-env.db"}, env)
    assert config.token == TOKEN
    assert config.db_path == Path("/data/from-env.db")
    assert config.admin_ids == frozenset({1, 2})
    assert config.log_level == "DEBUG"


def test_missing_token_is_an_error_only_when_required() -> None:
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN is not set"):
        load_config({}, require_token=True)


def test_malformed_token_is_named_but_never_echoed() -> None:
    secret = "123:short-and-wrong"
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN is malformed") as caught:
        load_config({"TELEGRAM_BOT_TOKEN": secret})
    assert secret not in str(caught.value)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TELEGRAM_BASE_URL", "api.telegram.org"),
        ("NEWSBOT_ADMIN_IDS", "alice,bob"),
        ("NEWSBOT_LOG_LEVEL", "LOUD"),
        ("NEWSBOT_LOG_FORMAT", "xml"),
        ("NEWSBOT_WATCHER", "magic"),
        ("NEWSBOT_RECURSIVE", "perhaps"),
        ("NEWSBOT_SCAN_INTERVAL", "-5"),
        ("NEWSBOT_SETTLE_SECONDS", "soon"),
        ("NEWSBOT_MAX_FILE_BYTES", "0"),
        ("NEWSBOT_RATE_GLOBAL", "fast"),
        ("NEWSBOT_RATE_PRIVATE", "inf"),
        ("NEWSBOT_RATE_GROUP", "nan"),
        ("NEWSBOT_SEND_WINDOW", "1.5"),
        ("NEWSBOT_STOP_TIMEOUT", "0"),
        ("NEWSBOT_METRICS_PORT", "70000"),
    ],
)
def test_malformed_setting_names_the_variable_and_why(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"^{name} is invalid: expected .*, got '{value}'$"):
        load_config({name: value})


def test_config_repr_hides_the_token() -> None:
    assert TOKEN not in repr(load_config({"TELEGRAM_BOT_TOKEN": TOKEN}))
