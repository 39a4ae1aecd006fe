"""Prometheus metrics (prometheus-client), one registry per app or worker process.

Jobs by state and the queue depth are read at scrape time from the database and the broker (the
shared truth, so every web server reports the same); render seconds, cache lookups and HTTP
latencies are counted by the process that saw them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger("producer.metrics")

RENDER_BUCKETS = (5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600)


class _SharedState(Collector):
    def __init__(self, jobs: Callable[[], dict[str, int]], depth: Callable[[], int]) -> None:
        self.jobs, self.depth = jobs, depth

    def collect(self) -> Iterator[GaugeMetricFamily]:
        by_state = GaugeMetricFamily("producer_jobs", "Render jobs by state", labels=["state"])
        try:
            for state, count in sorted(self.jobs().items()):
                by_state.add_metric([state], count)
        except Exception as exc:  # a scrape during an outage still answers, without this family
            log.warning("metrics: jobs by state unavailable (%s)", exc)
        yield by_state
        depth = GaugeMetricFamily("producer_queue_depth", "Messages waiting in the job queue")
        try:
            depth.add_metric([], self.depth())
        except Exception as exc:
            log.warning("metrics: queue depth unavailable (%s)", exc)
        yield depth


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.render_seconds = Histogram(
            "producer_render_seconds",
            "Seconds from claim to the end of an attempt, by outcome (done, failed, retry, lost)",
            ["outcome"],
            buckets=RENDER_BUCKETS,
            registry=self.registry,
        )
        self.cache_lookups = Counter(
            "producer_cache_lookups",
            "Segment and part cache lookups of renders (hit ratio = hit / all)",
            ["result"],
            registry=self.registry,
        )
        self.http_seconds = Histogram(
            "producer_http_request_seconds",
            "HTTP request latency by route template",
            ["method", "route", "status"],
            registry=self.registry,
        )

    def watch_shared(self, jobs: Callable[[], dict[str, int]], depth: Callable[[], int]) -> None:
        self.registry.register(_SharedState(jobs, depth))
