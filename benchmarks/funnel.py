"""Weekly funnel benchmark: 1,000,000 leads over 52 weeks and 100 dealers on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lf_funnel_bench \
        python -m benchmarks.funnel [--leads 1000000] [--dealers 100] [--regenerate]

Creates the database if missing, migrates it, generates the leads with one
``INSERT … SELECT … FROM generate_series`` (the ORM would take minutes), then measures
1. one dealer's week: the whole report the page shows (funnel, breakdowns, 12-week trend,
   speed-to-lead with percentiles, attempts) — budget ≤ 100 ms;
2. all dealers × 52 weeks through ``leads.reports.funnel.funnel_weeks`` against a hand-written SQL
   aggregate over the same rows, run alternately in the same process — budget ≤ 2×.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time

WEEKS = 52
BENCH_PREFIX = "bench-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--dealers", type=int, default=100)
    parser.add_argument("--runs", type=int, default=30, help="samples of one dealer's week")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of all dealers × 52 weeks")
    parser.add_argument("--regenerate", action="store_true")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database of its own, e.g. …/lf_funnel_bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadflow.settings")
    os.environ.setdefault("SECRET_KEY", "benchmark")
    _create_database(url)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    dealers, first_week = _dataset(args.leads, args.dealers, args.regenerate)
    one_week = _one_dealer_week(dealers, first_week, args.runs)
    orm, sql = _all_dealers(dealers, first_week, args.rounds)
    print()
    print(f"leads: {args.leads:,}  dealers: {args.dealers}  weeks: {WEEKS}")
    print(
        "one dealer's week (full report): "
        f"p50 {one_week['p50']:.1f} ms, p95 {one_week['p95']:.1f} ms, "
        f"max {one_week['max']:.1f} ms, {one_week['queries']} queries  (budget ≤ 100 ms)"
    )
    print(
        f"all dealers × {WEEKS} weeks: ORM funnel_weeks median {orm:.0f} ms, "
        f"hand-written SQL median {sql:.0f} ms, ratio {orm / sql:.2f}  (budget ≤ 2.0)"
    )


def _create_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    name = name.split("?")[0]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def _dataset(total: int, n_dealers: int, regenerate: bool):
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from dealers.models import Dealer, Salesperson
    from leads.models import Lead
    from leads.reports.weeks import Week

    dealers = list(Dealer.objects.filter(slug__startswith=BENCH_PREFIX).order_by("id"))
    tz = Dealer(time_zone="Europe/Berlin").tz
    last = Week.containing(dt.date(2026, 11, 16), tz)
    first = last.shifted(-(WEEKS - 1))
    have = Lead.objects.filter(dealer__in=dealers).count() if dealers else 0
    if len(dealers) == n_dealers and have == total and not regenerate:
        print(f"dataset: {have:,} leads already there")
        return dealers, first
    print(f"generating {total:,} leads for {n_dealers} dealers …", flush=True)
    started = time.perf_counter()
    with transaction.atomic():
        Dealer.objects.filter(slug__startswith=BENCH_PREFIX).delete()
        get_user_model().objects.filter(username__startswith=BENCH_PREFIX).delete()
        dealers = Dealer.objects.bulk_create(
            [
                Dealer(name=f"Bench {i}", slug=f"{BENCH_PREFIX}{i}", time_zone="Europe/Berlin")
                for i in range(n_dealers)
            ]
        )
        users = get_user_model().objects.bulk_create(
            [
                get_user_model()(username=f"{BENCH_PREFIX}{i}-{k}", email=f"b{i}-{k}@example.com")
                for i in range(n_dealers)
                for k in range(4)
            ]
        )
        Salesperson.objects.bulk_create(
            [
                Salesperson(
                    user=users[i * 4 + k],
                    dealer=dealers[i],
                    role=Salesperson.Role.MANAGER if k == 3 else Salesperson.Role.SALESPERSON,
                )
                for i in range(n_dealers)
                for k in range(4)
            ]
        )
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.47)")
        cursor.execute(
            GENERATE_SQL,
            {"total": total, "dealers": n_dealers, "start": first.start, "prefix": BENCH_PREFIX},
        )
        cursor.execute(f"VACUUM ANALYZE {Lead._meta.db_table}")
    print(f"generated in {time.perf_counter() - started:.0f} s", flush=True)
    return dealers, first


# Outcomes near the 60% rule; the first ring after a log-normal-ish delay of seconds with a tail.
GENERATE_SQL = """
WITH reps AS (
    SELECT s.dealer_id, s.id,
           row_number() OVER (PARTITION BY s.dealer_id ORDER BY s.id) - 1 AS k,
           dense_rank() OVER (ORDER BY s.dealer_id) - 1 AS idx
    FROM dealers_salesperson s JOIN dealers_dealer d ON d.id = s.dealer_id
    WHERE d.slug LIKE %(prefix)s || '%%' AND s.role = 'salesperson'
), g AS (
    SELECT n, %(start)s::timestamptz + random() * interval '364 days' AS received_at,
           random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5,
           random() AS r6, random() AS r7
    FROM generate_series(0, %(total)s - 1) AS n
), o AS (
    SELECT g.*, reps.dealer_id, reps.id AS rep_id,
           g.received_at + make_interval(secs => CASE WHEN g.r6 < 0.05 THEN 600 + g.r7 * 3000
                                                     ELSE 5 - ln(1 - g.r6) * 25 END) AS ring_at,
           g.r1 < 0.8 AS reached, g.r1 < 0.8 AND g.r2 < 0.6 AS appt,
           g.r1 < 0.8 AND g.r2 < 0.6 AND g.r3 < 0.8 AS showed,
           g.r1 < 0.8 AND g.r2 < 0.6 AND g.r3 < 0.8 AND g.r4 < 0.58 AS sold
    FROM g JOIN reps ON reps.idx = g.n %% %(dealers)s AND reps.k = (g.n / %(dealers)s) %% 3
)
INSERT INTO leads_lead (
    dealer_id, source, sources, external_id, received_at, is_test, first_name, last_name, email,
    phone, preferred_channel, language, postal_code, vehicle_make, vehicle_model,
    vehicle_condition, vehicle_stock_number, vehicle_vin, message, consent_phone, consent_email,
    consent_whatsapp, raw_payload, assigned_to_id, bdc, bdc_reason, status, lost_reason,
    first_attempt_at, first_ring_at, customer_rang_at, first_channel, attempt_count, reached_at,
    reached_after_attempts, appointment_set_at, showed_at, sold_at, lost_at, next_action,
    updated_at
)
SELECT dealer_id,
       (ARRAY['mobile.de','mobile.de','autoscout24','website','google-ads','meta'])[1 + (n %% 6)],
       jsonb_build_array((ARRAY['mobile.de','mobile.de','autoscout24','website','google-ads','meta'])[1 + (n %% 6)]),
       'bench-' || n, received_at, false, 'Kunde', 'Bench', '', '+49151' || lpad(n::text, 8, '0'),
       'phone', 'de', '', 'Volkswagen', 'Golf', 'used', '', '', '', true, true, false, '{}'::jsonb,
       rep_id, false, '',
       CASE WHEN sold THEN 'sold' WHEN NOT reached OR r5 < 0.7 THEN 'lost'
            WHEN showed THEN 'showed' WHEN appt THEN 'appointment' ELSE 'reached' END,
       CASE WHEN NOT sold AND (NOT reached OR r5 < 0.7)
            THEN (CASE WHEN reached THEN 'not interested' ELSE 'no contact' END) ELSE '' END,
       ring_at, ring_at, CASE WHEN reached THEN ring_at + interval '20 seconds' END,
       CASE WHEN n %% 10 = 0 THEN 'whatsapp' ELSE 'phone' END,
       CASE WHEN reached THEN 1 + floor(-ln(1 - r7) * 1.2)::int ELSE 8 END,
       CASE WHEN reached THEN ring_at + interval '1 minute' END,
       CASE WHEN reached THEN 1 + floor(-ln(1 - r7) * 1.2)::int END,
       CASE WHEN appt THEN received_at + interval '1 day' END,
       CASE WHEN showed THEN received_at + interval '4 days' END,
       CASE WHEN sold THEN received_at + interval '6 days' END,
       CASE WHEN NOT sold AND (NOT reached OR r5 < 0.7) THEN received_at + interval '10 days' END,
       '', now()
FROM o
"""

HAND_SQL = """
SELECT dealer_id,
       date_trunc('week', received_at AT TIME ZONE 'Europe/Berlin') AS monday,
       count(*),
       count(*) FILTER (WHERE reached_at IS NOT NULL),
       count(*) FILTER (WHERE appointment_set_at IS NOT NULL),
       count(*) FILTER (WHERE showed_at IS NOT NULL),
       count(*) FILTER (WHERE sold_at IS NOT NULL),
       count(*) FILTER (WHERE lost_at IS NOT NULL)
FROM leads_lead
WHERE dealer_id = ANY(%s) AND NOT is_test AND received_at >= %s AND received_at < %s
GROUP BY 1, 2
"""


def _ms(fn) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def _one_dealer_week(dealers, first_week, runs: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from leads.reports.funnel import funnel_report

    rng = random.Random(7)
    for dealer in dealers[:3]:  # warm the cache and the connection
        funnel_report(dealer=dealer, week=first_week.shifted(30))
    samples = []
    queries = 0
    for _ in range(runs):
        dealer = rng.choice(dealers)
        week = first_week.shifted(rng.randrange(WEEKS))
        with CaptureQueriesContext(connection) as captured:
            samples.append(_ms(lambda d=dealer, w=week: funnel_report(dealer=d, week=w)))
        queries = len(captured.captured_queries)
    samples.sort()
    return {
        "p50": statistics.median(samples),
        "p95": samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))],
        "max": samples[-1],
        "queries": queries,
    }


def _all_dealers(dealers, first_week, rounds: int) -> tuple[float, float]:
    from django.db import connection

    from leads.reports.funnel import funnel_weeks

    last_week = first_week.shifted(WEEKS - 1)
    ids = [d.pk for d in dealers]

    def orm():
        return funnel_weeks(dealers=dealers, first=first_week.monday, last=last_week.monday)

    def hand():
        with connection.cursor() as cursor:
            cursor.execute(HAND_SQL, [ids, first_week.start, last_week.end])
            return cursor.fetchall()

    # Warm up, and check both count the same leads per dealer and week.
    by_orm = orm()
    by_hand = hand()
    assert len(by_orm) == len(by_hand), (len(by_orm), len(by_hand))
    assert sum(c["sold"] for c in by_orm.values()) == sum(r[6] for r in by_hand)
    orm_times, sql_times = [], []
    for _ in range(rounds):
        orm_times.append(_ms(orm))
        sql_times.append(_ms(hand))
    return statistics.median(orm_times), statistics.median(sql_times)


if __name__ == "__main__":
    main()
