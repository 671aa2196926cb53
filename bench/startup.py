"""`newsbot` start-up: `python -m bench.startup [--against DIR]`.

Times whole `python -m bot VERB` processes (what tests/test_cli.py starts about 30 of)
for the light verbs, and the interpreter alone (`python -c pass`) as the baseline of the
same run. With `--against DIR` (another checkout, e.g. a worktree of an older commit)
the same verbs of that tree run too, interleaved with this one's, so both see the same
load. `imports` is the sum of `-X importtime`'s own times: what loading modules costs.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from storage import open_store
from tests.articles import SAMPLE
from tests.environ import clean_environ

ROOT = Path(__file__).resolve().parent.parent
VERBS = ["--help", f"check {SAMPLE}", "stats"]


def timed(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Wall seconds of one process, and the seconds `-X importtime` says imports took."""
    started = time.perf_counter()
    subprocess.run(command, env=env, cwd=cwd, capture_output=True, check=False, timeout=120)
    wall = time.perf_counter() - started
    traced = subprocess.run(
        [command[0], "-X", "importtime", *command[1:]],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    # "import time: self [us] | cumulative | name"; any other line on stderr is not ours
    own = [
        line.removeprefix("import time:").split("|")[0]
        for line in traced.stderr.splitlines()
        if line.startswith("import time:")
    ]
    return wall, sum(int(us) for us in own if us.strip().isdigit()) / 1e6


def line(label: str, samples: list[tuple[float, float]]) -> str:
    walls = [wall for wall, _ in samples]
    imports = statistics.median(seconds for _, seconds in samples)
    return (
        f"{label:<40} median {statistics.median(walls):.3f}s  min {min(walls):.3f}s"
        f"  imports {imports:.3f}s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--against", type=Path, help="another checkout to time alongside")
    args = parser.parse_args()
    trees = {"this tree": ROOT, **({"against": args.against.resolve()} if args.against else {})}
    base = clean_environ()
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        open_store(folder / "news.db").close()
        results: dict[str, list[tuple[float, float]]] = {}
        for _ in range(args.runs):
            key = "interpreter alone (python -c pass)"
            results.setdefault(key, []).append(timed([sys.executable, "-c", "pass"], base, folder))
            for name, tree in trees.items():
                env = {**base, "PYTHONPATH": str(tree), "NEWSBOT_DB": str(folder / "news.db")}
                for verb in VERBS:
                    command = [sys.executable, "-m", "bot", *verb.split()]
                    key = f"{name}: newsbot {verb.replace(str(SAMPLE), 'SAMPLE')}"
                    results.setdefault(key, []).append(timed(command, env, folder))
    print(f"{args.runs} runs each; {' | '.join(f'{k} = {v}' for k, v in trees.items())}")
    for label, samples in results.items():
        print(line(label, samples))


if __name__ == "__main__":
    main()
