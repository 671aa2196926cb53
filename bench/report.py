"""How the benchmarks print their figures: latency percentiles, memory and the machine."""

from __future__ import annotations

import os
import resource
import sqlite3
import statistics
import sys


def latency_line(name: str, seconds: list[float], width: int = 8) -> str:
    """`name p50 .. ms | p95 .. ms | max .. ms | N probes`."""
    ordered = sorted(seconds)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return (
        f"{name:<{width}} p50 {statistics.median(ordered) * 1000:6.1f} ms"
        f" | p95 {p95 * 1000:6.1f} ms | max {ordered[-1] * 1000:6.1f} ms | {len(ordered)} probes"
    )


def peak_rss_mb(children: bool = False) -> float:
    """Peak resident memory of this process (or of its largest child), in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if children:
        own = max(own, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return own / 1024


def rss_mb() -> float:
    """Resident memory of this process now, in MB."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 1024 / 1024


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` (0-1) of `values` lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered), round(share * len(ordered))) - 1)]


def machine_line() -> str:
    """Cores, Python, SQLite and the load average: how busy the shared machine was."""
    load = " / ".join(f"{value:.2f}" for value in os.getloadavg())
    return (
        f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
        f"SQLite {sqlite3.sqlite_version}; load average (1/5/15 min) {load}"
    )
