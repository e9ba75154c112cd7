"""The fixed cast every test speaks of, and the real parts tests run against.

dealer_a "Autohaus Nord" (Berlin, DE): rep_a1 Lena, rep_a2 Jonas, manager_a Petra, bdc_a Murat.
dealer_b "Garage Zuid" (Amsterdam, NL): rep_b1 Sanne.
Unless a test travels elsewhere, the clock stands at Monday 2026-11-23 10:00 in Berlin (ticking),
inside both dealers' opening hours.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import threading
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import override_settings
from django.utils import translation

from dealers.models import Dealer, Salesperson
from leadflow.celery import app as celery_app
from leadflow.lib.envfile import vapid_private_key_new
from tests.fakes.push_service import FakePushService, push_service_start

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY_10AM = dt.datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN)
TOKEN_A = "lf_token-of-dealer-a"
TOKEN_B = "lf_token-of-dealer-b"
PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True, scope="session")
def _celery_eager() -> Iterator[None]:
    """Tasks run in-process unless a test asks for the real worker (``celery_worker``).

    Inside a test transaction on_commit callbacks never fire, so tests that want the hand-off
    use ``django_capture_on_commit_callbacks(execute=True)`` or a live server.
    """
    if settings.BROKER_KIND == "filesystem":
        # Keep the embedded broker's files away from the ones `make run` uses.
        folder = tempfile.mkdtemp(prefix="leadflow-broker-")
        celery_app.conf.broker_transport_options = {
            **celery_app.conf.broker_transport_options,
            "data_folder_in": folder,
            "data_folder_out": folder,
            "control_folder": folder,
            "processed_folder": folder,
        }
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts in the site's default language.

    The test client runs LocaleMiddleware in this thread and Django never deactivates the
    language a request activated, so without this a page rendered in English by one test
    leaks into the next test's emails and labels (failures that depend on test order).
    """
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _monday_morning(request) -> Iterator[None]:
    if "no_clock" in request.keywords:
        yield
        return
    with time_machine.travel(MONDAY_10AM, tick=True):
        yield


@pytest.fixture
def celery_worker(transactional_db) -> Iterator[object]:
    """A real Celery worker in a thread, consuming from the configured broker (Redis in CI)."""
    celery_app.conf.task_always_eager = False
    with celery_app.connection_for_write() as conn:
        for queue in ("default", "ring"):
            conn.default_channel.queue_declare(queue=queue, durable=True, auto_delete=False)
            conn.default_channel.queue_purge(queue)
    try:
        with start_worker(
            celery_app,
            pool="solo",
            concurrency=1,
            perform_ping_check=False,
            queues=["default", "ring"],
            loglevel="WARNING",
            shutdown_timeout=10,
        ) as worker:
            yield worker
    finally:
        celery_app.conf.task_always_eager = True


@pytest.fixture
def tasks_done() -> Iterator[TaskLog]:
    log = TaskLog()
    task_postrun.connect(log.record, weak=False)
    yield log
    task_postrun.disconnect(log.record)


class TaskLog:
    """Wait for tasks finishing in the worker thread, without sleeping."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self._cond = threading.Condition()

    def record(self, sender=None, **kwargs) -> None:
        with self._cond:
            self.names.append(sender.name)
            self._cond.notify_all()

    def wait_for(self, name: str, count: int = 1, timeout: float = 15.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self.names.count(name) >= count, timeout)


def make_staff(
    dealer: Dealer, username: str, first: str, role: str, phone: str, **extra
) -> Salesperson:
    user = get_user_model().objects.create_user(
        username=username,
        first_name=first,
        last_name="Test",
        password=PASSWORD,
        email=f"{username}@example.com",
    )
    return Salesperson.objects.create(user=user, dealer=dealer, role=role, phone=phone, **extra)


@pytest.fixture
def dealer_a(db) -> Dealer:
    dealer = Dealer.objects.create(
        name="Autohaus Nord",
        slug="nord",
        time_zone="Europe/Berlin",
        country="DE",
        language="de",
        caller_id="+4940123456",
        bdc_phone="+4940123459",
        bdc_email="bdc@nord.example",
        email_from="verkauf@nord.example",
        whatsapp_sender="+4940123456",
        inbound_email="leads@nord.example",
        google_key="google-key-a",
        meta_verify_token="meta-verify-a",
    )
    dealer.set_webhook_token(TOKEN_A)
    return dealer


@pytest.fixture
def dealer_b(db) -> Dealer:
    dealer = Dealer.objects.create(
        name="Garage Zuid",
        slug="zuid",
        time_zone="Europe/Amsterdam",
        country="NL",
        language="en",
        caller_id="+31201234567",
        bdc_phone="+31201234569",
        email_from="verkoop@zuid.example",
        inbound_email="leads@zuid.example",
        google_key="google-key-b",
        meta_verify_token="meta-verify-b",
    )
    dealer.set_webhook_token(TOKEN_B)
    return dealer


@pytest.fixture
def rep_a1(dealer_a) -> Salesperson:
    return make_staff(dealer_a, "lena", "Lena", Salesperson.Role.SALESPERSON, "+4915110000001")


@pytest.fixture
def rep_a2(dealer_a) -> Salesperson:
    return make_staff(dealer_a, "jonas", "Jonas", Salesperson.Role.SALESPERSON, "+4915110000002")


@pytest.fixture
def manager_a(dealer_a) -> Salesperson:
    return make_staff(dealer_a, "petra", "Petra", Salesperson.Role.MANAGER, "+4915110000003")


@pytest.fixture
def bdc_a(dealer_a) -> Salesperson:
    return make_staff(dealer_a, "murat", "Murat", Salesperson.Role.BDC, "+4915110000004")


@pytest.fixture
def rep_b1(dealer_b) -> Salesperson:
    return make_staff(dealer_b, "sanne", "Sanne", Salesperson.Role.SALESPERSON, "+31612345678")


def sample_lead(**overrides) -> dict:
    """DESIGN §8's example lead; keyword arguments replace top-level or customer keys."""
    lead = {
        "source": "website",
        "external_id": "web-10293",
        "received_at": "2026-11-23T10:04:00+01:00",
        "customer": {
            "first_name": "Anna",
            "last_name": "Schmidt",
            "email": "anna.schmidt@example.de",
            "phone": "0171 1234567",
            "preferred_channel": "whatsapp",
            "language": "de",
        },
        "vehicle": {
            "make": "Volkswagen",
            "model": "Golf",
            "year": 2023,
            "condition": "used",
            "stock_number": "A1234",
            "vin": "WVWZZZCDZPW000001",
            "price": 21990,
        },
        "message": "Ist der Golf noch verfügbar? Ich könnte Samstag vorbeikommen.",
        "consent": {"phone": True, "email": True, "whatsapp": True},
    }
    for key, value in overrides.items():
        if key in lead["customer"]:
            lead["customer"][key] = value
        else:
            lead[key] = value
    return lead


@pytest.fixture
def meta_graph(dealer_a) -> Iterator[object]:
    """A local fake of Meta's Graph API; dealer_a holds a page token and the app has a secret."""
    from django.test import override_settings

    from tests.fakes.meta_graph import FakeMetaGraph
    from tests.leads.intake.portals import META_APP_SECRET

    dealer_a.meta_page_token = "page-token-a"
    dealer_a.save(update_fields=["meta_page_token_encrypted"])
    fake = FakeMetaGraph().start()
    try:
        with override_settings(
            META_GRAPH_API_URL=fake.base_url,
            META_APP_SECRET=META_APP_SECRET,
            META_GRAPH_TIMEOUT_SECONDS=2,
        ):
            yield fake
    finally:
        fake.stop()


# -- messaging (email and WhatsApp) -------------------------------------------------------

MESSAGES_PUBLIC_URL = "https://leadflow.example"


@pytest.fixture
def messages_twilio() -> Iterator[object]:
    """The real twilio SDK talking to the local fake: LEADFLOW_PROVIDERS=twilio."""
    from django.test import override_settings

    from followup.twilio_client import clear_twilio_client_cache
    from tests.fakes.twilio_api import FakeTwilio

    with (
        FakeTwilio() as fake,
        override_settings(
            LEADFLOW_PROVIDERS="twilio",
            LEADFLOW_PUBLIC_URL=MESSAGES_PUBLIC_URL,
            TWILIO_ACCOUNT_SID=fake.account_sid,
            TWILIO_AUTH_TOKEN=fake.auth_token,
            TWILIO_API_BASE_URL=fake.base_url,
            TWILIO_TIMEOUT_SECONDS=2,
        ),
    ):
        clear_twilio_client_cache()
        yield fake
    clear_twilio_client_cache()


@pytest.fixture
def messages_sandbox() -> Iterator[None]:
    from django.test import override_settings

    with override_settings(LEADFLOW_PROVIDERS="sandbox", LEADFLOW_PUBLIC_URL=MESSAGES_PUBLIC_URL):
        yield


def make_lead(dealer: Dealer, assigned_to: Salesperson | None = None, **fields):
    """A lead as intake would store it, without the webhook (queue and lead page tests)."""
    from leads.models import Lead, LeadEvent

    fields.setdefault("first_name", "Anna")
    fields.setdefault("last_name", "Schmidt")
    fields.setdefault("phone", "+491711234567")
    fields.setdefault("email", "anna.schmidt@example.de")
    fields.setdefault("source", "website")
    fields.setdefault("vehicle_make", "Volkswagen")
    fields.setdefault("vehicle_model", "Golf")
    # The portal's form said yes to calls and emails (unknown would mean no contact at all).
    fields.setdefault("consent_phone", True)
    fields.setdefault("consent_email", True)
    lead = Lead.objects.create(dealer=dealer, assigned_to=assigned_to, **fields)
    lead.log(LeadEvent.Kind.RECEIVED, at=lead.received_at, data={"source": lead.source})
    return lead


@pytest.fixture
def tasks_stay_queued() -> Iterator[None]:
    """Tasks go to the broker and nobody runs them: for tests that hammer intake from many
    threads at once. Eager execution would run follow-up chains inside those threads, and
    Celery's eager chains are not made for concurrent threads in one process."""
    celery_app.conf.task_always_eager = False
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = True
        with celery_app.connection_for_write() as conn:
            for queue in ("default", "ring"):
                conn.default_channel.queue_declare(queue=queue, durable=True, auto_delete=False)
                conn.default_channel.queue_purge(queue)


@pytest.fixture(autouse=True)
def _no_personal_data_in_logs(request) -> Iterator[None]:
    """End-to-end tests (and tests marked ``logs_scanned``) write their logs through the
    configured handlers; afterwards not one line may hold the customer's phone number (in any
    format), email address or message text."""
    if "end_to_end" not in request.node.nodeid and not request.node.get_closest_marker(
        "logs_scanned"
    ):
        yield
        return
    from tests.privacy.support import logs_as_configured, traces

    with logs_as_configured() as logs:
        yield
    written = logs.getvalue()
    assert written, "the end-to-end test wrote no log lines to scan"
    leaked = [line for line in written.splitlines() if traces(line)]
    assert leaked == [], "personal data in the logs"


@pytest.fixture
def push_service() -> Iterator[FakePushService]:
    """A local Web Push service and the server's VAPID key; subscriptions may point at it."""
    fake = push_service_start()
    with override_settings(
        LEADFLOW_VAPID_PRIVATE_KEY=vapid_private_key_new(),
        LEADFLOW_VAPID_SUBJECT="mailto:it@nord.example",
        LEADFLOW_PUSH_HOSTS=["127.0.0.1"],
    ):
        yield fake
    fake.server.shutdown()
