from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.utils import timezone

from followup.dispatch import _claim_due
from followup.models import Attempt
from leads.models import Lead


@pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="SKIP LOCKED is proven on PostgreSQL (CI)"
)
@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_at_once_never_hand_out_the_same_row(rep_a1):
    lead = Lead.objects.create(dealer=rep_a1.dealer, source="api", phone="+491711234567")
    now = timezone.now()
    Attempt.objects.bulk_create(
        Attempt(dealer=rep_a1.dealer, lead=lead, key=f"step:{i}", channel="email", due_at=now)
        for i in range(300)
    )
    start = threading.Barrier(4)

    def claim(_: int) -> list[int]:
        start.wait()
        try:
            got: list[int] = []
            while rows := _claim_due(timezone.now()):
                got += [r["pk"] for r in rows]
            return got
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(claim, range(4)))

    claimed = [pk for got in results for pk in got]
    assert len(claimed) == len(set(claimed)) == 300
    assert Attempt.objects.filter(status="queued").count() == 300
