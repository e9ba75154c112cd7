"""RabbitMQ as the broker: durable queues, persistent messages, publisher confirms, late acks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from amqp.exceptions import PreconditionFailed
from django.conf import settings
from kombu import Connection, Queue

from leadflow.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent
AMQP = "amqp://leadflow:secret@rabbitmq.example:5672/leadflow"
SHOW = """
import json
from django.conf import settings
from leadflow.celery import app
print(json.dumps({
    "broker": app.conf.broker_url,
    "options": app.conf.broker_transport_options,
    "acks_late": app.conf.task_acks_late,
    "reject_on_worker_lost": app.conf.task_reject_on_worker_lost,
    "queues": [[q.name, q.durable, q.exchange.durable, q.routing_key] for q in app.conf.task_queues],
    "routes": app.conf.task_routes,
}))
"""


def celery_config(**env: str) -> dict:
    shown = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SHOW],
        cwd=ROOT,
        env={
            "PATH": os.environ["PATH"],
            "SECRET_KEY": "x" * 50,
            "LEADFLOW_ENV_FILE": os.devnull,
            "DATABASE_URL": "sqlite:///:memory:",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout.strip().splitlines()[-1])


def test_an_amqp_url_gets_publisher_confirms_durable_queues_and_a_ring_queue():
    config = celery_config(CELERY_BROKER_URL=AMQP, REDIS_URL="redis://ignored:6379/0")

    assert config["broker"] == AMQP  # CELERY_BROKER_URL wins over REDIS_URL
    assert config["options"]["confirm_publish"] is True
    assert config["acks_late"] is True and config["reject_on_worker_lost"] is True
    assert config["queues"] == [["default", True, True, "default"], ["ring", True, True, "ring"]]
    assert config["routes"] == {"followup.ring.*": {"queue": "ring"}}


def test_a_broker_url_that_is_neither_redis_nor_amqp_is_refused_at_start():
    refused = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={
            "PATH": os.environ["PATH"],
            "SECRET_KEY": "x" * 50,
            "LEADFLOW_ENV_FILE": os.devnull,
            "CELERY_BROKER_URL": "sqs://queue",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode != 0
    assert "must start with redis://, rediss:// or amqp://" in refused.stderr


def test_healthz_names_an_unreachable_rabbitmq(client, db, monkeypatch):
    # Celery lets a CELERY_BROKER_URL in the environment win over its configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", "amqp://guest:guest@127.0.0.1:1//")
    monkeypatch.setitem(celery_app.conf, "broker_url", "amqp://guest:guest@127.0.0.1:1//")
    monkeypatch.setitem(celery_app.conf, "broker_transport_options", {"confirm_publish": True})

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["database"] == "ok"
    assert response.json()["broker"] != "ok"


@pytest.fixture
def rabbitmq() -> str:
    if not settings.BROKER_KIND.startswith(("amqp", "pyamqp")):
        pytest.skip("needs RabbitMQ: set CELERY_BROKER_URL=amqp://… (CI's second pass does)")
    return settings.CELERY_BROKER_URL


@pytest.mark.broker
def test_healthz_is_200_on_rabbitmq(client, db, rabbitmq):
    assert client.get("/healthz").json() == {
        "database": "ok",
        "broker": "ok",
        "status": "ok",
        "ring_sla": 0,
    }


@pytest.mark.broker
def test_ring_tasks_wait_on_rabbitmq_in_a_durable_queue_as_persistent_messages(rabbitmq):
    with Connection(rabbitmq) as conn:
        ring = Queue("ring", durable=True)
        ring(conn.default_channel).declare()
        conn.default_channel.queue_purge("ring")
    # No worker runs: the message must wait in the broker, on disk, for one.
    celery_app.send_task("followup.ring.attempt", args=[123], queue="ring")

    with Connection(rabbitmq) as conn:
        message = conn.SimpleQueue(ring).get(timeout=5)
        try:
            assert message.properties["delivery_mode"] == 2  # persistent
            assert json.loads(message.body)[0] == [123]
        finally:
            message.ack()
        # Declaring it as a transient queue is refused: the queue itself survives a restart.
        with pytest.raises(PreconditionFailed):
            conn.channel().queue_declare(queue="ring", durable=False)
