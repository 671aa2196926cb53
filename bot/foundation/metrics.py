"""Every figure newsbot exports, counted where it happens and served by `bot.foundation.health`."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 15.0, 60.0)


class Metrics:
    """Every figure newsbot exports, in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.ingested = Counter(
            "newsbot_articles_ingested", "Article files stored, by change",
            ["change"], registry=self.registry,
        )  # fmt: skip
        self.ingest_errors = Counter(
            "newsbot_ingest_errors", "Article files refused", registry=self.registry
        )
        self.sent = Counter("newsbot_pushes_sent", "Messages delivered", registry=self.registry)
        self.failed = Counter(
            "newsbot_pushes_failed", "Deliveries given up, by reason",
            ["reason"], registry=self.registry,
        )  # fmt: skip
        self.flood_replies = Counter(
            "newsbot_flood_replies", "429 replies from Telegram", registry=self.registry
        )
        self.queue_depth = Gauge(
            "newsbot_queue_depth", "Deliveries pending or in flight", registry=self.registry
        )
        self.detection_latency = Histogram(
            "newsbot_detection_latency_seconds", "File event to push queued",
            buckets=LATENCY_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.send_latency = Histogram(
            "newsbot_send_latency_seconds", "Claim of a delivery to Telegram's answer",
            buckets=LATENCY_BUCKETS, registry=self.registry,
        )  # fmt: skip
