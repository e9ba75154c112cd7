"""The floor for intake: parse the JSON, insert one row, enqueue one task after commit."""

from __future__ import annotations

import json

from celery import shared_task
from django.db import connection, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt


@shared_task(name="benchmarks.noop", ignore_result=True)
def noop(row_id: int) -> None:
    return None


@csrf_exempt
def bare_view(request: HttpRequest) -> JsonResponse:
    data = json.loads(request.body)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_bare (body) VALUES (%s) RETURNING id", [json.dumps(data)])
        row_id = cursor.fetchone()[0]
        transaction.on_commit(lambda: noop.delay(row_id))
    return JsonResponse({"id": row_id}, status=201)
