"""The rules of the house that a linter does not check: sizes, and the one opening of chat
handlers, read from the code's syntax tree."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parent.parent
PACKAGES = ("bot", "storage")
MAX_MODULE_LINES = 350
MAX_FUNCTION_LINES = 60


def modules() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py"))


def is_migration(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A schema migration (`@migrations(name=...)`): its SQL is long by nature."""
    return any(
        isinstance(decorator, ast.Call)
        and isinstance(decorator.func, ast.Name)
        and decorator.func.id == "migrations"
        for decorator in function.decorator_list
    )


def decorator_name(decorator: ast.expr) -> str | None:
    """`command` of `@command(...)` and `button` of `@button`."""
    called = decorator.func if isinstance(decorator, ast.Call) else decorator
    return called.id if isinstance(called, ast.Name) else None


def functions(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [
        node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]


def test_no_module_is_over_350_lines() -> None:
    """A module past 350 lines is split by meaning before it grows further."""
    long = {
        str(path.relative_to(ROOT)): lines
        for path in modules()
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_no_function_is_over_60_lines_but_migrations() -> None:
    """A function fits on a screen (its decorators and docstring included); a migration's
    SQL may be longer."""
    long = {}
    for path in modules():
        for function in functions(ast.parse(path.read_text())):
            start = min([function.lineno, *(d.lineno for d in function.decorator_list)])
            lines = (function.end_lineno or function.lineno) - start + 1
            if lines > MAX_FUNCTION_LINES and not is_migration(function):
                long[f"{path.relative_to(ROOT)}:{function.lineno} {function.name}"] = lines
    assert long == {}


def test_chat_handlers_begin_with_one_of_the_openings() -> None:
    """Every `<name>_command` and `button_pressed` in bot/chat is decorated by
    `bot.chat.openings` (`command`, `this_chat`, `button`), and only openings.py asks
    `Targets` for a command's or a button's target."""
    openings = {"command", "this_chat", "button"}
    bare, asking = [], []
    for path in sorted((ROOT / "bot" / "chat").glob("*.py")):
        tree = ast.parse(path.read_text())
        for function in functions(tree):
            if not (function.name.endswith("_command") or function.name == "button_pressed"):
                continue
            names = {decorator_name(d) for d in function.decorator_list}
            if (
                function.name != "unknown_command"
                and path.name != "admin.py"
                and not (names & openings)
            ):
                bare.append(f"{path.name} {function.name}")
        if path.name not in ("openings.py", "targets.py"):
            for node in ast.walk(tree):
                if isinstance(node, ast.Attribute) and node.attr in ("asked", "of_button"):
                    asking.append(f"{path.name}:{node.lineno} {node.attr}")
    assert bare == []
    assert asking == []
