"""`python -m bot` is the `newsbot` command."""

from bot.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())
