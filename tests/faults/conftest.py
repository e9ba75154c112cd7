"""A production-like LeadFlow for fault injection: gunicorn, a Celery worker and beat, real
PostgreSQL (the test database), a Redis server of the test's own on a free port, and the local
Twilio fake. A "phone network" thread plays Twilio's side: every call the fake creates is
reported ringing to its status callback, signed like Twilio signs.

Only this stack's own things are ever hurt: its Redis (never the machine's shared one), its
processes, and the backends of its own test database (pg_terminate_backend, never a restart).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from django.conf import settings
from django.db import connection

from benchmarks.load import daytime_place
from dealers.models import Dealer, Salesperson
from followup.models import Attempt, Call
from leads.models import Lead
from tests.conftest import TOKEN_A, make_staff, sample_lead
from tests.fakes.twilio_api import FakeTwilio
from tests.fakes.twilio_signing import twilio_signature

ROOT = Path(__file__).resolve().parents[2]
ALL_DAY = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
STARTUP_SECONDS = 60


def pytest_collection_modifyitems(config, items) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).parent == here:
            item.add_marker(pytest.mark.faults)
            # The processes run on the real clock: no time travel in these tests.
            item.add_marker(pytest.mark.no_clock)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate: Callable[[], object], timeout: float, what: str, step: float = 0.25):
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(Exception):
            value = predicate()
            if value:
                return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(step)


class BlackHole:
    """A TCP server that accepts connections and never answers: a request sent to it is
    lost before it reaches Twilio (the create never happens)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.held: list[socket.socket] = []
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            with contextlib.suppress(OSError):
                conn, _ = self.sock.accept()
                self.held.append(conn)

    def close(self) -> None:
        self._stop.set()
        for conn in [*self.held, self.sock]:
            with contextlib.suppress(OSError):
                conn.close()


class Stack:
    """The processes of one LeadFlow installation, started and hurt on purpose."""

    def __init__(self, tmp: Path, fake: FakeTwilio) -> None:
        self.tmp = tmp
        self.fake = fake
        self.procs: dict[str, subprocess.Popen] = {}
        self.redis_port = free_port()
        self.web_port = free_port()
        self.public_url = f"http://127.0.0.1:{self.web_port}"
        db = connection.settings_dict
        auth = quote(db["USER"] or "postgres") + (
            f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
        )
        self.env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
            f"/{db['NAME']}",
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "SECRET_KEY": secrets.token_urlsafe(32),
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LEADFLOW_PUBLIC_URL": self.public_url,
            "LEADFLOW_PROVIDERS": "twilio",
            "TWILIO_ACCOUNT_SID": fake.account_sid,
            "TWILIO_AUTH_TOKEN": fake.auth_token,
            "TWILIO_API_BASE_URL": fake.base_url,
            "TWILIO_TIMEOUT_SECONDS": "5",
            # A live worker waits at most 5 s for Twilio: a leg still dialing after 15 s is a
            # dead worker's (production keeps 50 s, above the ring tasks' time limit).
            "LEADFLOW_STALE_DIALING_SECONDS": "15",
            "CELERY_VISIBILITY_TIMEOUT": "30",
            "LEADFLOW_VAR_DIR": str(tmp),
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
        self.env.pop("DJANGO_SETTINGS_MODULE", None)

    # -- processes -----------------------------------------------------------------

    def _spawn(self, name: str, args: list[str], env: dict[str, str] | None = None) -> None:
        log = open(self.tmp / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        self.procs[name] = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env or self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killpg reaches pool children
        )

    def redis_start(self) -> None:
        self._spawn(
            "redis",
            [
                "redis-server",
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.tmp),
            ],
        )
        wait_until(lambda: self.redis("PING") == "PONG", 20, "redis")

    def redis(self, *command: str) -> str:
        out = subprocess.run(
            ["redis-cli", "-p", str(self.redis_port), *command],
            capture_output=True,
            text=True,
            timeout=10,
        )
        return out.stdout.strip()

    def web_start(self) -> None:
        self._spawn(
            "web",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "leadflow.wsgi",
                "--bind",
                f"127.0.0.1:{self.web_port}",
                "--workers",
                "2",
                "--timeout",
                "60",
            ],
        )
        wait_until(
            lambda: requests.get(f"{self.public_url}/healthz", timeout=2).status_code < 500,
            STARTUP_SECONDS,
            "gunicorn",
        )

    def worker_start(self, name: str = "worker", concurrency: int = 2, **env: str) -> None:
        self._spawn(
            name,
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "leadflow",
                "worker",
                "-Q",
                "ring,default",
                "--concurrency",
                str(concurrency),
                "--loglevel",
                "WARNING",
                "-n",
                f"{name}-{secrets.token_hex(3)}@%h",
                "--without-gossip",
                "--without-mingle",
            ],
            env={**self.env, **env},
        )

    def beat_start(self) -> None:
        self._spawn(
            "beat",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "leadflow",
                "beat",
                "--loglevel",
                "WARNING",
                "--schedule",
                str(self.tmp / "beat-schedule"),
            ],
        )

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        proc = self.procs.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=20)
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def stop(self) -> None:
        for name in list(self.procs):
            self.kill(name, signal.SIGTERM if name != "redis" else signal.SIGKILL)

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name} ---\n" + p.read_text(errors="replace")[-3000:]
            for p in sorted(self.tmp.glob("*.log"))
        )

    # -- what a portal and Twilio do -------------------------------------------------

    def post_lead(self, n: int, retries: int = 20, **overrides) -> requests.Response:
        """Post lead ``n`` like a portal: a 5xx is retried (the record says what happened)."""
        body = sample_lead(
            external_id=f"fault-{n}",
            first_name=f"Kunde{n}",
            phone=PLACE["pattern"].format(PLACE["start"] + 5_000 + n),
            email=f"kunde{n}@example.de",
            **overrides,
        )
        for _try in range(retries):
            try:
                response = requests.post(
                    f"{self.public_url}/hooks/nord/leads/",
                    json=body,
                    headers={"Authorization": f"Bearer {TOKEN_A}"},
                    timeout=30,
                )
            except requests.RequestException:
                time.sleep(0.5)
                continue
            if response.status_code < 500:
                return response
            time.sleep(0.5)
        raise AssertionError(f"lead {n} was never accepted")

    def twilio_callback(self, url: str, **params: str) -> requests.Response:
        params.setdefault("AccountSid", self.fake.account_sid)
        signature = twilio_signature(self.fake.auth_token, url, params)
        return requests.post(
            url, data=params, headers={"X-Twilio-Signature": signature}, timeout=30
        )


class PhoneNetwork:
    """Twilio's side of every created call: "ringing" to the leg's status callback, once."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.reported: set[str] = set()
        self.paused = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            if not self.paused.is_set():
                for created in self.stack.fake.calls_created():
                    url = created.param("StatusCallback")
                    if created.sid in self.reported or not url:
                        continue
                    with contextlib.suppress(requests.RequestException):
                        response = self.stack.twilio_callback(
                            url, CallSid=created.sid, CallStatus="ringing"
                        )
                        if response.status_code < 500:
                            self.reported.add(created.sid)
            self._stop.wait(0.2)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


@pytest.fixture
def faults_db(transactional_db) -> None:
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        pytest.skip(
            "fault tests start real web, worker and beat processes against a database server "
            "and Redis: set DATABASE_URL (PostgreSQL) and REDIS_URL (CI does)"
        )


# Where the dealer and its customers are: the processes run on the real clock, and the contact
# policy calls nobody at night in the customer's zone or on a holiday, so the suite moves them
# to a place where the whole test falls in the day (as the speed-to-lead benchmark does).
PLACE = {"zone": "Europe/Berlin", "country": "DE", "pattern": "+4915{:09d}", "start": 100000000}


@pytest.fixture
def dealer(faults_db) -> Dealer:
    """dealer_a as the cast knows it, open around the clock, where it is day now (real time)."""
    zone, country, pattern, start = daytime_place(900)
    PLACE.update(zone=zone, country=country, pattern=pattern, start=start)
    dealer = Dealer.objects.create(
        name="Autohaus Nord",
        slug="nord",
        time_zone=zone,
        country=country,
        language="de",
        caller_id="+4940123456",
        bdc_phone="+4940123459",
        email_from="verkauf@nord.example",
        whatsapp_sender="+4940123456",
        opening_hours=ALL_DAY,
        contact_hours=ALL_DAY,
        bdc_hour=dt.time.max,
    )
    dealer.set_webhook_token(TOKEN_A)
    make_staff(dealer, "lena", "Lena", Salesperson.Role.SALESPERSON, "+4915110000001")
    make_staff(dealer, "jonas", "Jonas", Salesperson.Role.SALESPERSON, "+4915110000002")
    make_staff(dealer, "petra", "Petra", Salesperson.Role.MANAGER, "+4915110000003")
    return dealer


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio() as fake:
        yield fake


@pytest.fixture
def stack(dealer, fake, tmp_path, request) -> Iterator[Stack]:
    stack = Stack(tmp_path, fake)
    network = None
    try:
        stack.redis_start()
        stack.web_start()
        stack.worker_start()
        stack.beat_start()
        network = PhoneNetwork(stack)
        stack.network = network
        yield stack
    finally:
        if network is not None:
            network.close()
        stack.stop()
        failed = getattr(request.node, "rep_call", None)
        if failed is not None and failed.failed:
            print(stack.logs())


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


# -- what a dealer would notice --------------------------------------------------------------


class Figures:
    """The numbers a fault test asserts and reports."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack

    def unrung(self) -> list[int]:
        rung = set(
            Call.objects.filter(leg="agent", parent=None)
            .exclude(sid=None)
            .values_list("lead_id", flat=True)
        )
        return sorted(set(Lead.objects.values_list("pk", flat=True)) - rung)

    def calls_per_leg(self) -> dict[str, int]:
        """How many calls the fake created for each leg (named by its status callback URL)."""
        counts: dict[str, int] = {}
        for created in self.stack.fake.calls_created():
            url = created.param("StatusCallback") or "?"
            counts[url] = counts.get(url, 0) + 1
        return counts

    def stuck(self) -> dict[str, int]:
        """Rows the engine owns that nothing will move: legs without an outcome, first steps
        not done, attempts overdue and not handed out."""
        overdue = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=90)
        return {
            "legs pending/dialing/unknown": Call.objects.filter(
                status__in=["pending", "dialing", "unknown"]
            ).count(),
            "start steps not done": Attempt.objects.filter(
                key__in=["first_email", "first_whatsapp", "cadence"],
                status__in=["scheduled", "queued", "in_progress"],
            ).count(),
            "overdue attempts": Attempt.objects.filter(
                status__in=["scheduled", "queued"], due_at__lte=overdue
            ).count(),
        }

    def wait_all_rung(self, timeout: float) -> float:
        start = time.monotonic()
        wait_until(lambda: not self.unrung(), timeout, "every lead rung", step=0.5)
        return time.monotonic() - start

    def wait_settled(self, timeout: float) -> None:
        wait_until(lambda: not any(self.stuck().values()), timeout, "nothing stuck", step=0.5)

    def lead_pages_render(self) -> int:
        """Every lead the fault left behind opens for its dealer's manager (no 500)."""
        from django.test import Client

        client = Client()
        client.force_login(Salesperson.objects.get(role=Salesperson.Role.MANAGER).user)
        for pk in Lead.objects.values_list("pk", flat=True):
            response = client.get(f"/leads/{pk}/")
            assert response.status_code == 200, (pk, response.status_code)
        return Lead.objects.count()

    def report(self, name: str, **extra: object) -> str:
        extra["lead_pages_ok"] = self.lead_pages_render()
        per_leg = self.calls_per_leg()
        line = (
            f"[fault] {name}: leads={Lead.objects.count()} "
            f"unrung={len(self.unrung())} legs={len(per_leg)} "
            f"max_calls_per_leg={max(per_leg.values(), default=0)} "
            f"stuck={sum(self.stuck().values())} " + " ".join(f"{k}={v}" for k, v in extra.items())
        )
        print(line)
        (ROOT / "var").mkdir(exist_ok=True)
        with open(ROOT / "var" / "fault-figures.txt", "a") as out:
            out.write(line + "\n")
        return line


@pytest.fixture
def figures(stack) -> Figures:
    return Figures(stack)
