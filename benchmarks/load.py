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


# Where the demo dealer and its customers are for the run: the contact policy allows calls only
# between 08:00 and 21:00 in the customer's and the dealer's zone and never on a public holiday,
# so a benchmark picks a place where the whole run falls inside that window.
PLACES = (
    ("Europe/Berlin", "DE", "+4915{:09d}", 100000000),
    ("America/New_York", "US", "+1212{:07d}", 2000000),
    ("America/Los_Angeles", "US", "+1415{:07d}", 2000000),
    ("Asia/Tokyo", "JP", "+8190{:08d}", 10000000),
)
PHONE = {"pattern": PLACES[0][2], "start": PLACES[0][3]}


def daytime_place(seconds: float) -> tuple[str, str, str, int]:
    """(zone, country, phone pattern, first number) of a place where the next ``seconds`` (and
    five minutes more) fall within the contact hours, on a day that is not a public holiday."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    import holidays

    now = dt.datetime.now(dt.UTC)
    for zone, country, pattern, start in PLACES:
        begin = now.astimezone(ZoneInfo(zone))
        end = begin + dt.timedelta(seconds=seconds + 300)
        if (
            dt.time(8, 30) <= begin.time()
            and end.time() <= dt.time(20, 30)
            and begin.date() == end.date()
            and begin.date() not in holidays.country_holidays(country, years=begin.year)
        ):
            return zone, country, pattern, start
    raise SystemExit("nowhere is the whole run within the contact hours; try again later")


def daytime_dealer(seconds: float) -> str:
    """Move the demo dealer (and the numbers ``lead_body`` makes) to a place where it is day
    for the whole run. Needs Django set up."""
    from dealers.models import Dealer

    zone, country, pattern, start = daytime_place(seconds)
    Dealer.objects.filter(slug="demo").update(time_zone=zone, country=country)
    PHONE.update(pattern=pattern, start=start)
    return zone


def lead_body(i: int) -> dict:
    return {
        "source": "website",
        "external_id": f"bench-{i}",
        "customer": {
            "first_name": "Bench",
            "last_name": f"Lead {i}",
            "email": f"bench{i}@example.de",
            "phone": PHONE["pattern"].format(PHONE["start"] + i),
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
