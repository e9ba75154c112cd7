"""Shared by the speed-to-lead and capacity benchmarks: post leads at a steady rate and match
each one to the moment FakeTwilio received its salesperson's "create call" request."""

from __future__ import annotations

import re
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests

from tests.fakes.twilio_api import FakeTwilio

ANSWER_URL = re.compile(r"/twilio/voice/(\d+)/answer/")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(values: list[float]) -> str:
    if not values:
        return "no samples"
    ms = [v * 1000 for v in values]
    return (
        f"n={len(ms)} p50={percentile(ms, 50):.1f} ms p99={percentile(ms, 99):.1f} ms "
        f"max={max(ms):.1f} ms mean={statistics.fmean(ms):.1f} ms"
    )


def wait_http(url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=1).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


def lead_body(i: int) -> dict:
    return {
        "source": "website",
        "external_id": f"bench-{i}",
        "customer": {
            "first_name": "Bench",
            "last_name": f"Lead {i}",
            "email": f"bench{i}@example.de",
            "phone": f"+4915{100000000 + i}",
            "preferred_channel": "phone",
        },
        "vehicle": {"make": "Volkswagen", "model": "Golf"},
        "message": "Ist der Golf noch verfügbar?",
        "consent": {"phone": True, "email": True, "whatsapp": False},
    }


@dataclass
class Posted:
    sent: dict[int, tuple[float, float]] = field(default_factory=dict)  # lead → (sent, 2xx)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


def post_leads(
    base: str,
    token: str,
    *,
    count: int,
    seconds: float,
    first: int = 0,
    threads: int = 16,
    every: int = 0,
    on_every=None,
) -> Posted:
    """``count`` leads evenly over ``seconds``; ``on_every()`` after each ``every``-th lead."""
    posted = Posted()
    lock = threading.Lock()
    start = time.time() + 0.5
    interval = seconds / max(count, 1)
    local = threading.local()

    def post(i: int) -> None:
        delay = start + i * interval - time.time()
        if delay > 0:
            time.sleep(delay)
        session = getattr(local, "s", None)
        if session is None:
            session = local.s = requests.Session()
        t0 = time.time()
        try:
            resp = session.post(
                f"{base}/hooks/demo/leads/",
                json=lead_body(first + i),
                timeout=30,
                headers={"Authorization": f"Bearer {token}"},
            )
        except requests.RequestException as exc:
            with lock:
                posted.errors.append(str(exc))
            return
        t1 = time.time()
        if resp.status_code >= 300:
            with lock:
                posted.errors.append(f"{resp.status_code} {resp.text[:100]}")
            return
        with lock:
            posted.sent[resp.json()["id"]] = (t0, t1)
        if every and on_every and i % every == 0:
            on_every()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(post, range(count)))
    posted.seconds = time.time() - start
    return posted


def wait_calls(fake: FakeTwilio, expected: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(fake.calls_created()) < expected:
        time.sleep(0.2)


def created_by_lead(fake: FakeTwilio, call_leads: dict[int, int]) -> dict[int, float]:
    """lead → when its first agent call reached the fake; ``call_leads``: call pk → lead."""
    created: dict[int, float] = {}
    for request in fake.calls_created():
        match = ANSWER_URL.search(request.param("Url") or "")
        lead = call_leads.get(int(match.group(1))) if match else None
        if lead is not None and lead not in created:
            created[lead] = request.at
    return created


def first_call_leads() -> dict[int, int]:
    """call pk → lead of every first-call agent leg (Django must be set up on the target DB)."""
    from followup.models import Call

    return dict(
        Call.objects.filter(leg="agent", attempt__key="first_call").values_list("pk", "lead_id")
    )
