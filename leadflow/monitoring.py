"""Operations: the request middleware (request id, one log event per request, webhook metrics)
and GET /metrics for Prometheus, protected by LEADFLOW_METRICS_TOKEN.

/metrics joins two kinds of series. Counters and histograms that processes observe as things
happen (leadflow.lib.metrics) come from every gunicorn and Celery process through
prometheus-client's multiprocess mode when PROMETHEUS_MULTIPROC_DIR is set (`make serve` sets
it). Everything that is state — late leads, due attempts, the dispatcher's lag, queue depths,
messages waiting — is read from the database and the broker at scrape time, so it is right
however many processes run and survives restarts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, DateTimeField, ExpressionWrapper, F, Min, Q, Value
from django.db.models.functions import Greatest
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from leadflow.lib.logcontext import log_context_clear, log_context_start
from leadflow.lib.metrics import INTAKE_REQUESTS, INTAKE_SECONDS, intake_outcome

log = logging.getLogger("leadflow.request")

WEBHOOKS = {"lead-webhook": "leads", "google-ads-webhook": "google_ads", "meta-webhook": "meta"}
QUIET_PATHS = ("/healthz", "/metrics")
RING_SLA = dt.timedelta(seconds=120)
# A first call's clock starts at the lead's arrival, or at its window when it opened later;
# followup schedules the first call this long after arrival as the watchdog's deadline.
FIRST_CALL_GRACE = dt.timedelta(seconds=30)
SLA_WINDOW = dt.timedelta(hours=24)


class RequestMiddleware:
    """Outermost: gives the request an id (X-Request-ID from the proxy, or a new one), logs one
    event when it is answered, and counts and times webhook deliveries by outcome."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming[:64] if incoming.isprintable() and incoming else uuid.uuid4().hex
        log_context_start(request_id=request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            elapsed = time.perf_counter() - started
            match = getattr(request, "resolver_match", None)
            endpoint = WEBHOOKS.get(match.url_name or "") if match else None
            if endpoint:
                outcome = intake_outcome(response.status_code)
                INTAKE_REQUESTS.labels(endpoint, outcome).inc()
                INTAKE_SECONDS.labels(endpoint, outcome).observe(elapsed)
            response["X-Request-ID"] = request_id
            level = logging.DEBUG if request.path in QUIET_PATHS else logging.INFO
            log.log(
                level,
                "%s %s %s",
                request.method,
                match.route if match else request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    # The route, not the path: paths can carry ids and tokens.
                    "route": match.route if match else "",
                    "status": response.status_code,
                    "duration_ms": round(elapsed * 1000, 1),
                    "dealer": (match.kwargs.get("dealer_slug") if match else None) or None,
                },
            )
            return response
        finally:
            log_context_clear()


def _bearer(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.startswith("Bearer ") else ""


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    token = settings.LEADFLOW_METRICS_TOKEN
    if not token:
        # Off unless configured: nothing here is for the public.
        raise Http404("metrics are off: set LEADFLOW_METRICS_TOKEN")
    if not constant_time_compare(_bearer(request), token):
        response = HttpResponse("a valid bearer token is required\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(StateCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


class _ThisProcess:
    """Without multiprocess mode (make run, tests) this process's own counters are all there is."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


class StateCollector:
    """Series read from the database and the broker at scrape time."""

    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        up = GaugeMetricFamily("leadflow_database_up", "1 when /metrics could read the database.")
        try:
            families = list(_database_state(now))
        except DatabaseError:
            logging.getLogger(__name__).exception("metrics: the database did not answer")
            families = []
        up.add_metric([], 1 if families else 0)
        yield up
        yield from families
        yield from _broker_state()


def _gauge(name: str, doc: str, labels: list[str], rows: dict[tuple, float]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=labels)
    for key, value in sorted(rows.items()):
        family.add_metric(list(key), value)
    return family


def late_first_calls(*, now: dt.datetime) -> dict[str, dict[str, int]]:
    """Per dealer slug: first calls due in the last 24 h ("due"), those whose salesperson's
    phone rang more than 120 s after the clock started or never ("missed"), and open leads
    waiting past 120 s for their first ring right now ("waiting").

    Reads attempts through their (status, due_at) index, whatever the table's size.
    """
    from followup.models import Attempt
    from leads.models import Lead

    start = Greatest(
        F("lead__received_at"),
        ExpressionWrapper(F("due_at") - Value(FIRST_CALL_GRACE), output_field=DateTimeField()),
    )
    late_ring = ExpressionWrapper(F("clock") + Value(RING_SLA), output_field=DateTimeField())
    deadline_passed = Q(clock__lt=now - RING_SLA)
    never_rang = Q(lead__first_ring_at=None)
    open_lead = Q(lead__status__in=[Lead.Status.NEW, Lead.Status.CONTACTING])
    rows = (
        Attempt.objects.filter(
            status__in=Attempt.Status.values,
            key="first_call",
            due_at__gte=now - SLA_WINDOW,
            due_at__lte=now + FIRST_CALL_GRACE,
            lead__is_test=False,
        )
        .alias(clock=start)
        .values("dealer__slug")
        .annotate(
            due=Count("pk"),
            missed=Count(
                "pk",
                filter=~Q(status=Attempt.Status.CANCELLED)
                & ((deadline_passed & never_rang) | Q(lead__first_ring_at__gt=late_ring)),
            ),
            waiting=Count("pk", filter=deadline_passed & never_rang & open_lead),
        )
    )
    return {row["dealer__slug"]: {k: row[k] for k in ("due", "missed", "waiting")} for row in rows}


def _database_state(now: dt.datetime) -> Iterator[Metric]:
    yield from _ring_sla(now)
    yield from _attempt_state(now)
    yield _messages_waiting()


def _ring_sla(now: dt.datetime) -> Iterator[Metric]:
    sla = late_first_calls(now=now)
    for key, name, doc in (
        ("due", "leadflow_ring_sla_due_24h", "First calls due in the last 24 h."),
        (
            "missed",
            "leadflow_ring_sla_missed_24h",
            "Of those, leads whose salesperson's phone rang more than 120 s late, or never.",
        ),
        (
            "waiting",
            "leadflow_ring_sla_waiting",
            "Open leads past 120 s without a ring right now (alert when above 0).",
        ),
    ):
        yield _gauge(name, doc, ["dealer"], {(slug,): v[key] for slug, v in sla.items()})


def _attempt_state(now: dt.datetime) -> Iterator[Metric]:
    from followup.models import Attempt

    due = (
        Attempt.objects.filter(
            status__in=Attempt.Status.values,
            due_at__gte=now - dt.timedelta(hours=1),
            due_at__lte=now,
        )
        .values_list("channel", "status")
        .annotate(n=Count("pk"))
    )
    yield _gauge(
        "leadflow_attempts_due_1h",
        "Attempts due in the last hour, by channel and where they are now (done vs still due).",
        ["channel", "status"],
        {(channel, status): n for channel, status, n in due},
    )
    overdue = (
        Attempt.objects.filter(
            status__in=Attempt.PENDING, due_at__lte=now - dt.timedelta(seconds=60)
        )
        .values_list("channel")
        .annotate(n=Count("pk"))
    )
    yield _gauge(
        "leadflow_attempts_overdue",
        "Attempts due more than 60 s ago that no worker has taken yet.",
        ["channel"],
        {(channel,): n for channel, n in overdue},
    )
    oldest_due = Attempt.objects.filter(status=Attempt.Status.SCHEDULED, due_at__lte=now).aggregate(
        at=Min("due_at")
    )["at"]
    lag = GaugeMetricFamily(
        "leadflow_dispatcher_lag_seconds",
        "Age of the oldest due attempt the dispatcher has not handed out (0: none waiting).",
    )
    lag.add_metric([], max(0.0, (now - oldest_due).total_seconds()) if oldest_due else 0.0)
    yield lag
    oldest_queued = Attempt.objects.filter(status=Attempt.Status.QUEUED).aggregate(
        at=Min("queued_at")
    )["at"]
    queued = GaugeMetricFamily(
        "leadflow_attempts_queued_oldest_seconds",
        "Age of the oldest attempt handed to the broker but not taken by a worker.",
    )
    queued.add_metric([], max(0.0, (now - oldest_queued).total_seconds()) if oldest_queued else 0.0)
    yield queued


def _messages_waiting() -> Metric:
    from followup.models import OutboundMessage

    waiting = (
        OutboundMessage.objects.filter(
            status__in=[
                OutboundMessage.Status.QUEUED,
                OutboundMessage.Status.SENDING,
                OutboundMessage.Status.UNKNOWN,
            ]
        )
        .values_list("channel", "status")
        .annotate(n=Count("pk"))
    )
    return _gauge(
        "leadflow_messages_waiting",
        "Messages not yet out (queued, sending) or needing a person (unknown), by channel.",
        ["channel", "status"],
        {(channel, status): n for channel, status, n in waiting},
    )


def _broker_state() -> Iterator[Metric]:
    from leadflow.celery import app as celery_app

    up = GaugeMetricFamily("leadflow_broker_up", "1 when /metrics could read the broker.")
    length = GaugeMetricFamily(
        "leadflow_celery_queue_length", "Messages waiting in each Celery queue.", labels=["queue"]
    )
    consumers = GaugeMetricFamily(
        "leadflow_celery_queue_consumers",
        "Workers consuming each queue (RabbitMQ reports it; Redis does not).",
        labels=["queue"],
    )
    names = [queue.name for queue in settings.CELERY_TASK_QUEUES]
    try:
        with celery_app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            for name in names:
                count, active = _queue_size(conn, name)
                length.add_metric([name], count)
                if active is not None:
                    consumers.add_metric([name], active)
    except Exception:
        logging.getLogger(__name__).warning("metrics: the broker did not answer", exc_info=True)
        up.add_metric([], 0)
        yield up
        return
    up.add_metric([], 1)
    yield up
    yield length
    if consumers.samples:
        yield consumers


def _queue_size(conn, name: str) -> tuple[int, int | None]:
    """(messages, consumers) of one queue, by a passive declare on a channel of its own: on
    RabbitMQ a missing queue closes the channel; on Redis an empty queue is a missing key."""
    channel = conn.channel()
    try:
        ok = channel.queue_declare(queue=name, passive=True)
    except Exception:
        return 0, None
    finally:
        with contextlib.suppress(Exception):
            channel.close()
    is_amqp = settings.BROKER_KIND.startswith(("amqp", "pyamqp"))
    return int(ok.message_count), (int(ok.consumer_count) if is_amqp else None)
