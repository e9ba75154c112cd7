"""Salesperson queue page, dealer with 100,000 leads (DESIGN §7: p95 ≤ 100 ms).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lf_queue_bench \\
        .venv/bin/python -m benchmarks.queue [--requests 200] [--reseed]

Creates the database if needed, migrates, bulk-creates one dealer with 20 salespeople, a manager
and 100,000 leads (once; --reseed starts over), then times GET /queue/ through Django's test
Client in-process, for a salesperson and for the manager, beside the bare SQL that fetches the
same rows, in the same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadflow.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only-not-a-secret")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("AXES_ENABLED", "0")

LEADS = 100_000
SELLERS = 20
SLUG = "bench-queue"


def ensure_database(url: str) -> None:
    from urllib.parse import urlparse

    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def seed(reseed: bool):
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from dealers.models import Dealer, Salesperson
    from leads.models import Lead

    dealer = Dealer.objects.filter(slug=SLUG).first()
    if dealer is not None and not reseed and dealer.leads.count() == LEADS:
        return dealer
    if dealer is not None:
        get_user_model().objects.filter(salesperson__dealer=dealer).delete()
        dealer.delete()
    dealer = Dealer.objects.create(name="Benchmark Autohaus", slug=SLUG)
    User = get_user_model()
    staff = []
    for i in range(SELLERS + 1):
        role = Salesperson.Role.MANAGER if i == SELLERS else Salesperson.Role.SALESPERSON
        user = User.objects.create_user(f"bench-q-{i}", password="x", first_name=f"Rep{i}")
        staff.append(Salesperson.objects.create(user=user, dealer=dealer, role=role))
    sellers = staff[:SELLERS]
    rng = random.Random(5)
    now = timezone.now()
    # A year of leads: most closed or long since reached, a few hundred new, a working set due.
    statuses = ["new"] * 3 + ["contacting"] * 12 + ["reached"] * 10 + ["appointment"] * 5
    statuses += ["showed"] * 2 + ["sold"] * 20 + ["lost"] * 48
    rows = []
    for n in range(LEADS):
        status = rng.choice(statuses)
        received = now - dt.timedelta(minutes=rng.randint(0, 365 * 24 * 60))
        if status == "new":
            received = now - dt.timedelta(minutes=rng.randint(0, 3 * 24 * 60))
        due = None
        if status in ("contacting", "reached", "appointment"):
            due = now + dt.timedelta(minutes=rng.randint(-3 * 24 * 60, 7 * 24 * 60))
        unassigned = rng.random() < 0.02
        rows.append(
            Lead(
                dealer=dealer,
                source=rng.choice(["website", "mobile.de", "autoscout24", "meta"]),
                external_id=f"bench-{n}",
                received_at=received,
                first_name=rng.choice(["Anna", "Jan", "Mia", "Paul", "Lea", "Tom"]),
                last_name=f"Kunde{n}",
                email=f"kunde{n}@example.de",
                phone=f"+49171{n:07d}",
                assigned_to=None if unassigned else sellers[n % SELLERS],
                bdc=unassigned,
                status=status,
                next_action="call" if due else "",
                next_action_due_at=due,
                reached_at=received if status not in ("new", "contacting", "lost") else None,
                first_channel="phone",
            )
        )
    Lead.objects.bulk_create(rows, batch_size=5000)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE leads_lead")
    return dealer


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def summary(samples: list[float]) -> str:
    return (
        f"p50 {statistics.median(samples):6.1f} ms  p95 {percentile(samples, 95):6.1f} ms  "
        f"p99 {percentile(samples, 99):6.1f} ms"
    )


def time_page(client, url: str, requests: int) -> list[float]:
    for _ in range(10):
        assert client.get(url).status_code == 200
    samples = []
    for _ in range(requests):
        start = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    return samples


def time_sql(staff, requests: int) -> list[float]:
    """The same rows and columns by hand: three LIMITed queries (new, due, upcoming), as the
    page runs them, without the page's counts, sessions, ORM and template."""
    from django.db import connection
    from django.utils import timezone

    columns = (
        "l.id, l.dealer_id, l.status, l.first_name, l.last_name, l.phone, l.email, l.source, "
        "l.vehicle_make, l.vehicle_model, l.vehicle_year, l.received_at, l.next_action, "
        "l.next_action_due_at, l.appointment_at, l.opted_out_at, l.bdc, l.assigned_to_id, "
        "s.id, s.dealer_id, u.id, u.first_name, u.last_name, u.username"
    )
    scope = "l.dealer_id = %(dealer)s AND l.status IN ('new','contacting','reached','appointment','showed')"
    if not staff.sees_whole_dealer:
        scope += " AND (l.assigned_to_id = %(me)s OR (l.assigned_to_id IS NULL AND NOT l.bdc))"
    base = (
        f"SELECT {columns} FROM leads_lead l LEFT JOIN dealers_salesperson s ON s.id = l.assigned_to_id "
        f"LEFT JOIN auth_user u ON u.id = s.user_id WHERE {scope}"
    )
    working = "l.status IN ('contacting','reached','appointment','showed')"
    queries = [
        base + " AND l.status = 'new' ORDER BY l.received_at, l.id LIMIT 30",
        base + f" AND {working} AND l.next_action_due_at <= %(now)s "
        "ORDER BY l.next_action_due_at, l.id LIMIT 30",
        base + f" AND {working} AND l.next_action_due_at > %(now)s "
        "ORDER BY l.next_action_due_at, l.id LIMIT 30",
    ]
    samples = []
    with connection.cursor() as cursor:
        for i in range(requests + 10):
            params = {"dealer": staff.dealer_id, "me": staff.pk, "now": timezone.now()}
            start = time.perf_counter()
            for sql in queries:
                cursor.execute(sql, params)
                cursor.fetchall()
            if i >= 10:
                samples.append((time.perf_counter() - start) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database of its own, e.g. .../lf_queue_bench")
    ensure_database(url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from dealers.models import Salesperson

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    dealer = seed(args.reseed)
    print(f"data ready in {time.perf_counter() - started:.1f} s: {dealer.leads.count()} leads")
    seller = Salesperson.objects.filter(dealer=dealer, role="salesperson").order_by("pk").first()
    manager = Salesperson.objects.get(dealer=dealer, role="manager")

    for label, staff in (("salesperson", seller), ("manager", manager)):
        client = Client()
        client.force_login(staff.user)
        page = time_page(client, "/queue/", args.requests)
        sql = time_sql(staff, args.requests)
        print(f"{label:12s} page {summary(page)}")
        print(f"{label:12s} SQL  {summary(sql)}")
    client = Client()
    client.force_login(manager.user)
    week = dt.datetime.now(tz=dt.UTC).date().isocalendar()
    url = f"/queue/?week={week.year}-W{week.week:02d}&milestone=reached"
    print(f"{'report link':12s} page {summary(time_page(client, url, args.requests))}  ({url})")


if __name__ == "__main__":
    main()
