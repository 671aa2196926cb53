"""Ingest speed: `python -m bench.ingest` (sizes with --files 10000 100000).

For each size, with the files in the page cache, in fresh processes: the parse-only
rate (read + YAML load of the front matter with the C loader, nothing else; then again
with newsbot's own loader), a cold `newsbot ingest` into a new database,
and the start-up scan of the same, now unchanged, folder. Prints files/s, the ingest
share of the parse-only rate, the scan time, and each phase's peak RSS; then the CPU
time per file of each phase (all its processes), which a busy shared machine disturbs
less than the rates, and the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from bench.report import machine_line, peak_rss_mb

DATA = Path(__file__).parent / "data"


def parse_only(folder: Path) -> dict[str, float]:
    import yaml

    files = sorted(folder.iterdir())
    started = time.perf_counter()
    for path in files:
        text = path.read_bytes().decode("utf-8")
        yaml.load(text.split("---\n", 2)[1], Loader=yaml.CSafeLoader)
    elapsed = time.perf_counter() - started
    return {"files": len(files), "seconds": elapsed, "rate": len(files) / elapsed}


def parse_newsbot(folder: Path) -> dict[str, float]:
    """`parse_only` with the loader `newsbot ingest` uses (faster than CSafeLoader since
    bot/articles/strict_yaml.py; StrictLoader before it), for the ratio against the same loader."""
    try:
        from bot.articles.strict_yaml import load_strict
    except ImportError:  # the code before bot/articles/strict_yaml.py, as a baseline
        import yaml

        from bot.articles.parsing import StrictLoader

        def load_strict(text: str) -> object:
            return yaml.load(text, Loader=StrictLoader)

    files = sorted(folder.iterdir())
    started = time.perf_counter()
    for path in files:
        text = path.read_bytes().decode("utf-8")
        load_strict(text.split("---\n", 2)[1])
    elapsed = time.perf_counter() - started
    return {"files": len(files), "seconds": elapsed, "rate": len(files) / elapsed}


def ingest(folder: Path, db: Path) -> dict[str, float]:
    import io

    from bot.cli.ingest import ingest_command
    from bot.foundation.config import Config

    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    out = io.StringIO()
    started = time.perf_counter()
    ingest_command(Config(token=None, db_path=db, articles_dir=folder), folder, out)
    elapsed = time.perf_counter() - started
    files = sum(1 for _ in folder.iterdir())
    return {
        "files": files,
        "seconds": elapsed,
        "rate": files / elapsed,
        "summary": out.getvalue().strip(),
    }  # type: ignore[dict-item]


def scan(folder: Path, db: Path) -> dict[str, float]:
    from bot.articles.ingest import Ingestor
    from storage import open_store

    store = open_store(db)
    ingestor = Ingestor(store, folder.resolve(), max_bytes=1 << 20, recursive=False)
    started = time.perf_counter()
    found = ingestor.scan(store.files.file_states())
    elapsed = time.perf_counter() - started
    assert not found.changed and not found.gone, "the folder changed since the ingest"
    return {"files": found.total, "seconds": elapsed}


def cpu_seconds() -> float:
    """User and system CPU time of this process and its finished children (the parsers)."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_phase(phase: str, folder: Path, db: Path) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, "-m", "bench.ingest", "--phase", phase, "--dir", str(folder), "--db", str(db)],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return json.loads(output.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--phase", choices=["parse", "parse-newsbot", "ingest", "scan"])
    parser.add_argument("--dir", type=Path)
    parser.add_argument("--db", type=Path)
    parser.add_argument(
        "--data",
        type=Path,
        default=DATA,
        help="where the generated folders and databases go (default bench/data)",
    )
    args = parser.parse_args()
    if args.phase:
        result = {"parse": lambda: parse_only(args.dir), "ingest": lambda: ingest(args.dir, args.db),
                  "parse-newsbot": lambda: parse_newsbot(args.dir),
                  "scan": lambda: scan(args.dir, args.db)}[args.phase]()  # fmt: skip
        result["rss_mb"] = peak_rss_mb(children=True)
        result["cpu_s"] = cpu_seconds()
        print(json.dumps(result))
        return
    print(machine_line())
    for count in args.files:
        folder = args.data / f"articles-{count}"
        if not folder.is_dir() or sum(1 for _ in folder.iterdir()) != count:
            from bench.generate import generate

            started = time.perf_counter()
            generate(folder, count)
            print(f"generated {count} files in {time.perf_counter() - started:.1f}s")
        db = args.data / f"ingest-{count}.db"
        for path in folder.iterdir():  # warm the page cache: both phases read from memory
            path.read_bytes()
        parsed = run_phase("parse", folder, db)
        ours = run_phase("parse-newsbot", folder, db)
        ingested = run_phase("ingest", folder, db)
        scanned = run_phase("scan", folder, db)
        share = ingested["rate"] / parsed["rate"]
        print(
            f"{count:>7} files | parse-only {parsed['rate']:7.0f} files/s (rss {parsed['rss_mb']:.0f} MB)"
            f" | ingest {ingested['rate']:7.0f} files/s = {share:.0%} of parse-only"
            f" (rss {ingested['rss_mb']:.0f} MB)"
            f" | start-up scan of unchanged folder {scanned['seconds']:.2f}s (rss {scanned['rss_mb']:.0f} MB)"
        )
        print(f"          ingest said: {ingested['summary']}")
        parse_us, ingest_us = (1e6 * phase["cpu_s"] / count for phase in (parsed, ingested))
        print(f"          CPU per file (all processes): parse-only {parse_us:.0f} us, ingest"
              f" {ingest_us:.0f} us; on {os.cpu_count()} free cores ingest could reach"
              f" {(os.cpu_count() or 1) * parse_us / ingest_us:.0%} of parse-only")  # fmt: skip
        ours_us = 1e6 * ours["cpu_s"] / count
        print(f"          parse-only with newsbot's YAML loader: {ours['rate']:.0f} files/s,"
              f" {ours_us:.0f} us CPU a file; ingest = {ingested['rate'] / ours['rate']:.0%} of it,"
              f" could reach {(os.cpu_count() or 1) * ours_us / ingest_us:.0%} on free cores")  # fmt: skip
        print(machine_line())


if __name__ == "__main__":
    main()
