"""The `.env` file of the working directory: its values, read whole or refused in one line."""

from __future__ import annotations

import io
from pathlib import Path

from dotenv import dotenv_values
from dotenv.parser import parse_stream

from bot.foundation.errors import ConfigError


def env_file_values(env_file: Path | None) -> dict[str, str]:
    """The settings file's values; ConfigError for a file that cannot be read whole, rather
    than python-dotenv's warning and a setting silently left at its default."""
    if env_file is None or not env_file.is_file():
        return {}
    try:
        text = env_file.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise ConfigError(f"{env_file} cannot be read: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"{env_file} is not UTF-8 text (byte {error.start}) (fix or remove it)"
        ) from None
    for binding in parse_stream(io.StringIO(text)):
        if binding.error:  # the line itself is not shown: it may hold the token
            raise ConfigError(
                f"{env_file} line {binding.original.line} is not NAME=value (fix or remove it)"
            )
    values = dotenv_values(stream=io.StringIO(text))
    return {k: v for k, v in values.items() if v is not None}


def looked_in(env_file: Path | None) -> str:
    """Where the token was looked for: only this .env is read (not one in another folder)."""
    if env_file is None:
        return "in the environment"
    found = env_file.is_file()
    return f"in the environment{' or' if found else ', and there is no'} {env_file.absolute()}"
