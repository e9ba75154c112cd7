"""Speed to lead: webhook 2xx → FakeTwilio receives the salesperson's "create call" request.

    python -m benchmarks.speed_to_lead [--count 1000] [--seconds 60]

Runs gunicorn (2 workers) and two Celery worker processes (one for the "ring" queue only,
one for "default" and "ring")
against PostgreSQL (database lf_engine_bench, recreated) and Redis (db 1, flushed), with
FakeTwilio serving in this process. Leads are posted evenly over ``--seconds`` by 16 client
threads; broker probes (apply_async → a no-op task starting in the worker, on the "ring"
queue) are interleaved with the leads, so both are measured under the same load. Every loop
is bounded in count and time; the run stops by itself.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from tests.fakes.twilio_api import FakeTwilio

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
DB_NAME = "lf_engine_bench"
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/1")
TOKEN = "lf_bench_token"


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


def recreate_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")


def wait_http(url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=1).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--probe-every", type=int, default=5, help="a broker probe per N leads")
    args = parser.parse_args()

    fake = FakeTwilio()
    base = f"http://127.0.0.1:{args.port}"
    env = {
        **os.environ,
        "DATABASE_URL": f"{PG}/{DB_NAME}",
        "REDIS_URL": REDIS_URL,
        "SECRET_KEY": "benchmark-only-secret-key-" + "x" * 30,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LEADFLOW_PUBLIC_URL": base,
        "LEADFLOW_PROVIDERS": "twilio",
        "TWILIO_ACCOUNT_SID": fake.account_sid,
        "TWILIO_AUTH_TOKEN": fake.auth_token,
        "TWILIO_API_BASE_URL": fake.base_url,
        "LEADFLOW_DEMO_TOKEN": TOKEN,
        "LOG_LEVEL": "WARNING",
        "AXES_ENABLED": "0",
        "DJANGO_SETTINGS_MODULE": "leadflow.settings",
    }
    os.environ.update(env)
    recreate_database()
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    manage = [PY, "manage.py"]
    subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], env=env, check=True, cwd=ROOT)
    subprocess.run([*manage, "seed_demo"], env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)

    import django

    django.setup()
    from benchmarks.probe import PROBE_KEY, probe
    from followup.models import Call

    gunicorn = [PY, "-m", "gunicorn", "leadflow.wsgi", "-w", "2", "-b", f"127.0.0.1:{args.port}"]
    children = [subprocess.Popen([*gunicorn, "--log-level", "warning"], env=env, cwd=ROOT)]
    # Two worker processes, as production would run them: one only for the "ring" queue, so a
    # salesperson's call never waits behind emails and scheduling; one for "default" that also
    # takes ring tasks when idle.
    for name, queues in (("ring", "ring"), ("default", "default,ring")):
        worker = [PY, "-m", "celery", "-A", "leadflow", "worker", "-Q", queues, "-c", "1"]
        worker += ["-n", f"{name}@%h", "-I", "benchmarks.probe", "--loglevel", "WARNING"]
        worker += ["--without-gossip", "--without-mingle"]
        children.append(subprocess.Popen(worker, env=env, cwd=ROOT))
    try:
        wait_http(f"{base}/healthz", time.monotonic() + 60)
        # Warm up: one lead and one probe, so connections and imports are not measured.
        r = requests.post(
            f"{base}/hooks/demo/leads/",
            json=lead_body(10**6),
            timeout=10,
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        r.raise_for_status()
        fake.wait_for(lambda rq: rq.created, timeout=30)
        fake.reset()
        probe.apply_async(args=[time.time()], queue="ring")
        redis_client = redis.Redis.from_url(REDIS_URL)
        deadline = time.monotonic() + 30
        while redis_client.llen(PROBE_KEY) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        redis_client.delete(PROBE_KEY)

        sent: dict[int, tuple[float, float]] = {}  # lead id → (request sent, 2xx received)
        errors: list[str] = []
        lock = threading.Lock()
        start = time.time() + 0.5
        interval = args.seconds / max(args.count, 1)
        session_local = threading.local()

        def post(i: int) -> None:
            delay = start + i * interval - time.time()
            if delay > 0:
                time.sleep(delay)
            session = getattr(session_local, "s", None)
            if session is None:
                session = session_local.s = requests.Session()
            t0 = time.time()
            try:
                resp = session.post(
                    f"{base}/hooks/demo/leads/",
                    json=lead_body(i),
                    timeout=30,
                    headers={"Authorization": f"Bearer {TOKEN}"},
                )
            except requests.RequestException as exc:
                with lock:
                    errors.append(str(exc))
                return
            t1 = time.time()
            if resp.status_code >= 300:
                with lock:
                    errors.append(f"{resp.status_code} {resp.text[:100]}")
                return
            with lock:
                sent[resp.json()["id"]] = (t0, t1)
            if i % args.probe_every == 0:
                probe.apply_async(args=[time.time()], queue="ring")

        with ThreadPoolExecutor(max_workers=16) as pool:
            list(pool.map(post, range(args.count)))
        posted_in = time.time() - start

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(fake.calls_created()) < len(sent):
            time.sleep(0.2)
        created = {r.sid: r.at for r in fake.calls_created()}
        by_lead = dict(
            Call.objects.filter(
                leg="agent", attempt__key="first_call", sid__in=list(created)
            ).values_list("lead_id", "sid")
        )
        after_2xx = [
            created[by_lead[lead]] - t1 for lead, (_, t1) in sent.items() if lead in by_lead
        ]
        after_sent = [
            created[by_lead[lead]] - t0 for lead, (t0, _) in sent.items() if lead in by_lead
        ]
        probes = [float(v) for v in redis_client.lrange(PROBE_KEY, 0, -1)]
        rtt = [t1 - t0 for t0, t1 in sent.values()]
        print(
            f"leads posted: {len(sent)} of {args.count} in {posted_in:.1f} s; errors: {len(errors)}"
        )
        print(f"calls created at the fake: {len(created)}; matched to leads: {len(after_2xx)}")
        print(f"webhook 2xx → create call:        {summary(after_2xx)}")
        print(f"webhook request sent → create call: {summary(after_sent)}")
        print(f"webhook response time:             {summary(rtt)}")
        print(f"broker round-trip (probe):          {summary(probes)}")
        if errors:
            print("first errors:", errors[:3])
        return 0
    finally:
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
        fake.close()


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


if __name__ == "__main__":
    sys.exit(main())
