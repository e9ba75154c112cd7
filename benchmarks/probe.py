"""The broker's own round-trip, for comparison: a no-op task that notes when it started.

Loaded only by the benchmark's worker (``celery worker -I benchmarks.probe``).
"""

from __future__ import annotations

import os
import time

import redis
from celery import shared_task

PROBE_KEY = "leadflow:bench:probe"
_redis: redis.Redis | None = None


@shared_task(name="benchmarks.probe", time_limit=10, soft_time_limit=8, ignore_result=True)
def probe(sent_at: float) -> None:
    started = time.time()
    global _redis
    if _redis is None:
        # Results go to Redis whichever broker carried the probe (RabbitMQ runs too).
        _redis = redis.Redis.from_url(
            os.environ.get("BENCH_PROBE_REDIS_URL") or os.environ["REDIS_URL"]
        )
    _redis.rpush(PROBE_KEY, f"{started - sent_at:.6f}")
