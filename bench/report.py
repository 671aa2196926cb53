"""How the benchmarks print their figures: latency percentiles and peak memory."""

from __future__ import annotations

import resource
import statistics


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
