"""`newsbot db status` and `newsbot db backup FILE`: the database file, beside a running bot."""

from __future__ import annotations

from pathlib import Path

from bot.foundation.config import Config
from storage.maintenance import DatabaseStatus, backup_database, database_status


def db_status_command(config: Config) -> int:
    """Print the schema version, the files' sizes and the row counts; exit 2 if too new."""
    status = database_status(config.db_path)
    print(format_status(status))
    return 2 if status.unknown else 0


def format_status(status: DatabaseStatus) -> str:
    """The report of `newsbot db status`, one subject a line."""
    lines = [f"database   {status.path}", f"schema     {_schema(status)}"]
    if status.unknown:
        lines.append(
            f"too new    written by a newer newsbot ({', '.join(status.unknown)}): "
            "this version refuses to open it"
        )
    total = sum(size for _, size in status.sizes)
    files = ", ".join(f"{name} {_size(size)}" for name, size in status.sizes)
    lines.append(f"files      {_size(total)}: {files}")
    free = f"free       {status.free_pages:,} pages ({_size(status.free_pages * status.page_size)})"
    if status.incremental:
        lines.append(f"{free}, given back to the file system after each retention pass")
    else:
        lines.append(f"{free}, reused for new rows (auto-vacuum comes with the next start)")
    lines.append("rows")
    width = max((len(table) for table, _ in status.rows), default=0)
    lines.extend(f"  {table:<{width}}  {count:>10,}" for table, count in status.rows)
    return "\n".join(lines)


def _schema(status: DatabaseStatus) -> str:
    """The schema version (the last migration applied) and whether this newsbot agrees."""
    if not status.applied:
        return "none yet: `newsbot run` or `ingest` creates the tables"
    applied = f"version {status.applied[-1]} ({len(status.applied)} migrations applied)"
    if status.unknown:
        return f"{applied}, newer than this newsbot"
    if status.pending:
        return f"{applied}; the next start applies {', '.join(status.pending)}"
    return f"{applied}, up to date"


def db_backup_command(config: Config, target: Path) -> int:
    """Write a consistent copy of the database to `target`, safe while `run` is running."""
    size = backup_database(config.db_path, target)
    print(f"backed up {config.db_path} to {target} ({_size(size)})")
    return 0


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} bytes"
    if count < 1024**2:
        return f"{count / 1024:.1f} KiB"
    if count < 1024**3:
        return f"{count / 1024**2:.1f} MiB"
    return f"{count / 1024**3:.1f} GiB"
