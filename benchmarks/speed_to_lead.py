"""Speed to lead: webhook 2xx → FakeTwilio receives the salesperson's "create call" request.

    python -m benchmarks.speed_to_lead [--count 1000] [--seconds 60] [--broker [redis,rabbitmq]]
    python -m benchmarks.speed_to_lead --broker --short     # CI: both brokers, 200 leads each

Runs gunicorn (2 workers) and two Celery worker processes (one for the "ring" queue only,
one for "default" and "ring") against PostgreSQL (database lf_engine_bench or BENCH_DB, recreated) and the
broker: Redis (BENCH_REDIS_URL, db 1, flushed) or RabbitMQ (BENCH_AMQP_URL, its queues purged),
with FakeTwilio serving in this process. Leads are posted evenly over ``--seconds`` by 16
client threads; broker probes (apply_async → a no-op task starting in the worker, on the
"ring" queue) are interleaved with the leads, so both are measured under the same load. With
several brokers each runs in a fresh child process, one after the other, and a table compares
them. Every loop is bounded in count and time; the run stops by itself.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from benchmarks.load import (
    created_by_lead,
    daytime_dealer,
    first_call_leads,
    lead_body,
    percentile,
    post_leads,
    summary,
    wait_calls,
    wait_http,
)
from tests.fakes.twilio_api import FakeTwilio

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
DB_NAME = os.environ.get("BENCH_DB", "lf_engine_bench")
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/1")
AMQP_URL = os.environ.get("BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/leadflow_bench")
BROKERS = {"redis": REDIS_URL, "rabbitmq": AMQP_URL}
TOKEN = "lf_bench_token"


def recreate_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")


def empty_broker(broker: str) -> None:
    import redis
    from kombu import Connection, Queue

    from benchmarks.probe import PROBE_KEY

    client = redis.Redis.from_url(REDIS_URL)
    client.delete(PROBE_KEY)  # the probe's results live here on both brokers
    if broker == "redis":
        client.flushdb()
    else:
        with Connection(AMQP_URL) as conn:
            for name in ("default", "ring"):
                Queue(name, durable=True)(conn.default_channel).declare()
                conn.default_channel.queue_purge(name)


def measure(args: argparse.Namespace, broker: str) -> dict:
    fake = FakeTwilio()
    base = f"http://127.0.0.1:{args.port}"
    env = {
        **os.environ,
        "DATABASE_URL": f"{PG}/{DB_NAME}",
        "REDIS_URL": REDIS_URL,
        "BENCH_PROBE_REDIS_URL": REDIS_URL,
        "SECRET_KEY": "benchmark-only-secret-key-" + "x" * 30,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LEADFLOW_PUBLIC_URL": base,
        "LEADFLOW_PROVIDERS": "twilio",
        "TWILIO_ACCOUNT_SID": fake.account_sid,
        "TWILIO_AUTH_TOKEN": fake.auth_token,
        "TWILIO_API_BASE_URL": fake.base_url,
        "LEADFLOW_DEMO_TOKEN": TOKEN,
        "LEADFLOW_ENV_FILE": "",
        "LOG_LEVEL": "WARNING",
        "AXES_ENABLED": "0",
        # Emails are not what is measured; the console backend would only flood the output.
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "DJANGO_SETTINGS_MODULE": "leadflow.settings",
    }
    env.pop("CELERY_BROKER_URL", None)
    if broker == "rabbitmq":
        env["CELERY_BROKER_URL"] = AMQP_URL
    os.environ.clear()
    os.environ.update(env)
    recreate_database()
    empty_broker(broker)
    import redis

    manage = [PY, "manage.py"]
    subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], env=env, check=True, cwd=ROOT)
    subprocess.run([*manage, "seed_demo"], env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)

    import django

    django.setup()
    from benchmarks.probe import PROBE_KEY, probe

    print(f"dealer and customers in {daytime_dealer(args.seconds)}")

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

        posted = post_leads(
            base,
            TOKEN,
            count=args.count,
            seconds=args.seconds,
            every=args.probe_every,
            on_every=lambda: probe.apply_async(args=[time.time()], queue="ring"),
        )
        wait_calls(fake, len(posted.sent))
        created = created_by_lead(fake, first_call_leads())
        after_2xx = [created[lead] - t1 for lead, (_, t1) in posted.sent.items() if lead in created]
        after_sent = [
            created[lead] - t0 for lead, (t0, _) in posted.sent.items() if lead in created
        ]
        probes = [float(v) for v in redis_client.lrange(PROBE_KEY, 0, -1)]
        rtt = [t1 - t0 for t0, t1 in posted.sent.values()]
        print(f"--- broker: {broker}")
        print(
            f"leads posted: {len(posted.sent)} of {args.count} in {posted.seconds:.1f} s; "
            f"errors: {len(posted.errors)}"
        )
        print(f"calls created at the fake: {len(fake.calls_created())}; matched: {len(after_2xx)}")
        print(f"webhook 2xx → create call:          {summary(after_2xx)}")
        print(f"webhook request sent → create call: {summary(after_sent)}")
        print(f"webhook response time:              {summary(rtt)}")
        print(f"broker round-trip (probe):          {summary(probes)}")
        if posted.errors:
            print("first errors:", posted.errors[:3])
        return {
            "broker": broker,
            "leads": len(posted.sent),
            "errors": len(posted.errors),
            "rung": len(after_2xx),
            "p50": percentile(after_2xx, 50) * 1000 if after_2xx else None,
            "p99": percentile(after_2xx, 99) * 1000 if after_2xx else None,
            "probe_p50": percentile(probes, 50) * 1000 if probes else None,
            "probe_p99": percentile(probes, 99) * 1000 if probes else None,
        }
    finally:
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
        fake.close()


def compare(args: argparse.Namespace, brokers: list[str]) -> int:
    """Each broker in a child process of its own (settings are read once per process)."""
    results = []
    for broker in brokers:
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            command = [PY, "-m", "benchmarks.speed_to_lead", "--broker", broker]
            command += ["--count", str(args.count), "--seconds", str(args.seconds)]
            command += ["--port", str(args.port), "--probe-every", str(args.probe_every)]
            command += ["--json", out.name]
            if subprocess.run(command, cwd=ROOT, timeout=args.seconds + 600).returncode:
                return 1
            results.append(json.loads(Path(out.name).read_text()))

    def ms(value: float | None) -> str:
        return f"{value:.1f} ms" if value is not None else "—"

    print("\n| broker | leads | rung | 2xx → create call p50 | p99 | broker round trip p50 | p99 |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        print(
            f"| {r['broker']} | {r['leads']} | {r['rung']} | {ms(r['p50'])} | {ms(r['p99'])} "
            f"| {ms(r['probe_p50'])} | {ms(r['probe_p99'])} |"
        )
    return 0 if all(r["rung"] == r["leads"] and not r["errors"] for r in results) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--probe-every", type=int, default=5, help="a broker probe per N leads")
    parser.add_argument(
        "--broker",
        nargs="?",
        const="redis,rabbitmq",
        default="redis",
        help="redis, rabbitmq, or both (comma-separated; --broker alone: both)",
    )
    parser.add_argument("--short", action="store_true", help="200 leads in 20 s (CI)")
    parser.add_argument("--json", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.short:
        args.count, args.seconds = 200, 20.0
    brokers = [b.strip() for b in args.broker.split(",") if b.strip()]
    unknown = [b for b in brokers if b not in BROKERS]
    if unknown:
        parser.error(f"unknown broker {unknown[0]!r}: use redis and/or rabbitmq")
    if len(brokers) > 1:
        return compare(args, brokers)
    result = measure(args, brokers[0])
    if args.json:
        Path(args.json).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
