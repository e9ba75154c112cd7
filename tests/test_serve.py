"""`make serve`: the production processes on one machine, started as a dealer's IT would."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.conf import settings
from kombu import Connection

from benchmarks.load import daytime_place
from tests.fakes.twilio_api import FakeTwilio
from tests.fakes.twilio_signing import twilio_signature

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "lf_serve_test_token"
METRICS_TOKEN = "serve-metrics-token"


def serve(env: dict[str, str], **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "bin/serve"],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], **env},
        start_new_session=True,  # its own process group: teardown reaches every child
        **kwargs,
    )


def run_serve(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "bin/serve"],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_serve_refuses_to_start_and_lists_everything_missing(tmp_path):
    refused = run_serve({"LEADFLOW_ENV_FILE": str(tmp_path / "none.env")})

    assert refused.returncode == 2
    message = refused.stderr
    assert "refusing to start" in message
    for needed in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "SECRET_KEY"):
        assert needed in message
    assert "ALLOWED_HOSTS" in message and "LEADFLOW_PUBLIC_URL" in message
    assert "Traceback" not in message


def test_serve_refuses_sqlite_and_names_an_unreachable_database(tmp_path):
    base = {
        "LEADFLOW_ENV_FILE": str(tmp_path / "none.env"),
        "SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "localhost",
        "LEADFLOW_PUBLIC_URL": "https://leads.example.com",
        "REDIS_URL": "redis://127.0.0.1:1/0",
    }
    sqlite = run_serve({**base, "DATABASE_URL": "sqlite:///var/x.sqlite3"})
    assert sqlite.returncode == 2
    assert "is not PostgreSQL" in sqlite.stderr

    down = run_serve({**base, "DATABASE_URL": "postgres://leadflow:secret@127.0.0.1:1/leadflow"})
    assert down.returncode == 2
    assert "Cannot reach PostgreSQL at postgres://leadflow:***@127.0.0.1:1/leadflow" in down.stderr
    assert "Cannot reach the broker at redis://127.0.0.1:1/0" in down.stderr
    assert "secret" not in down.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def serve_database() -> Iterator[str]:
    """A database of its own next to the test database: the served processes commit for real."""
    import psycopg

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("make serve needs PostgreSQL: set DATABASE_URL=postgres://… to run this")
    if settings.BROKER_KIND == "filesystem":
        pytest.skip("make serve needs Redis or RabbitMQ: set REDIS_URL or CELERY_BROKER_URL")
    name = f"{db['NAME']}_serve"
    server = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT'] or 5432}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server}/{name}"
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def purge_queues() -> None:
    with Connection(settings.CELERY_BROKER_URL) as conn:
        for queue in settings.CELERY_TASK_QUEUES:
            queue(conn.default_channel).declare()
            conn.default_channel.queue_purge(queue.name)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def wait_until_up(base: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, f"make serve exited:\n{log.read_text()[-3000:]}"
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    pytest.fail(f"make serve did not come up:\n{log.read_text()[-3000:]}")


@pytest.mark.broker
# The served processes live in real time, so this test must too: the place where it is day
# is chosen from the real clock, not the suite's Monday morning.
@pytest.mark.no_clock
def test_serve_runs_production_posts_a_lead_and_rings_the_salesperson(serve_database, tmp_path):
    purge_queues()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with FakeTwilio() as fake:
        env = {
            "LEADFLOW_ENV_FILE": str(tmp_path / "none.env"),
            "LEADFLOW_VAR_DIR": str(tmp_path / "var"),
            "DATABASE_URL": serve_database,
            "SECRET_KEY": "serve-test-" + "k" * 40,
            "ALLOWED_HOSTS": "127.0.0.1",
            "LEADFLOW_PUBLIC_URL": base,
            "PORT": str(port),
            "WEB_CONCURRENCY": "2",
            "WORKER_CONCURRENCY": "1",
            "LEADFLOW_PROVIDERS": "twilio",
            "TWILIO_ACCOUNT_SID": fake.account_sid,
            "TWILIO_AUTH_TOKEN": fake.auth_token,
            "TWILIO_API_BASE_URL": fake.base_url,
            "LEADFLOW_DEMO_TOKEN": TOKEN,
            "LEADFLOW_METRICS_TOKEN": METRICS_TOKEN,
            "AXES_ENABLED": "0",
        }
        if settings.BROKER_KIND.startswith("redis"):
            env["REDIS_URL"] = settings.CELERY_BROKER_URL
        else:
            env["CELERY_BROKER_URL"] = settings.CELERY_BROKER_URL
        # The contact policy calls nobody at night: the demo dealer and its customer are put
        # where it is day now (the same places the speed-to-lead benchmark uses).
        zone, country, pattern, start = daytime_place(600)
        phone = pattern.format(start)
        seeded = subprocess.run(
            f"{sys.executable} manage.py migrate -v0 && {sys.executable} manage.py seed_demo",
            shell=True,
            cwd=ROOT,
            env={"PATH": os.environ["PATH"], **env},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert seeded.returncode == 0, seeded.stderr
        import psycopg

        with psycopg.connect(serve_database, autocommit=True) as conn:
            conn.execute(
                "UPDATE dealers_dealer SET time_zone = %s, country = %s WHERE slug = 'demo'",
                (zone, country),
            )
        log = tmp_path / "serve.log"
        with log.open("w") as out:
            process = serve(env, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_until_up(base, process, log)
            sample = json.loads((ROOT / "docs" / "sample-lead.json").read_text())
            sample["customer"]["phone"] = phone
            lead = requests.post(
                f"{base}/hooks/demo/leads/",
                data=json.dumps(sample),
                headers={
                    "Authorization": f"Bearer {TOKEN}",
                    "Content-Type": "application/json",
                    "X-Request-ID": "req-serve-test-1",
                },
                timeout=30,
            )
            assert lead.status_code == 201, lead.text
            assert lead.headers["X-Request-ID"] == "req-serve-test-1"
            lead_id = lead.json()["id"]

            created = fake.wait_for(lambda rq: rq.created, timeout=90)
            assert created, f"no call reached Twilio:\n{log.read_text()[-3000:]}"
            call = fake.calls_created()[0]
            assert call.param("To") == "+4915100000001" or call.param("To").startswith("+")

            # Twilio reports the salesperson's phone ringing, signed as Twilio signs it.
            callback = call.param("StatusCallback")
            params = {"CallSid": call.sid, "CallStatus": "ringing", "AccountSid": fake.account_sid}
            rang = requests.post(
                callback,
                data=params,
                headers={"X-Twilio-Signature": twilio_signature(fake.auth_token, callback, params)},
                timeout=30,
            )
            assert rang.status_code < 300, rang.text

            health = requests.get(f"{base}/healthz", timeout=10)
            assert health.status_code == 200
            assert health.json()["status"] == "ok"
            assert requests.get(f"{base}/metrics", timeout=10).status_code == 401
            metrics = requests.get(
                f"{base}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10
            ).text
            assert (
                'leadflow_intake_requests_total{endpoint="leads",outcome="created"} 1.0' in metrics
            )
            assert "leadflow_first_ring_seconds_count 1.0" in metrics
            assert 'leadflow_ring_sla_due_24h{dealer="demo"} 1.0' in metrics
            assert 'leadflow_ring_sla_waiting{dealer="demo"} 0.0' in metrics
            assert 'leadflow_celery_queue_length{queue="ring"}' in metrics
            # DEBUG is off: an unknown page is a plain 404, not Django's debug page.
            missing = requests.get(f"{base}/no-such-page/", timeout=10)
            assert missing.status_code == 404 and "URLconf" not in missing.text
        finally:
            stop(process)

    events = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    intake = [e for e in events if e.get("route") == "hooks/<slug:dealer_slug>/leads/"]
    assert intake, "no JSON event for the webhook request"
    assert intake[0]["request_id"] == "req-serve-test-1"
    assert intake[0]["lead_id"] == lead_id
    assert intake[0]["dealer"] == "demo"
    assert intake[0]["process_name"] == "web"
    assert {e.get("process_name") for e in events} >= {"web", "ring", "worker", "beat"}
