"""Personal data benchmark: erase one person, and the retention run's lock hold times.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lf_privacy_bench \
        python -m benchmarks.privacy [--leads 1000000] [--erasures 20] [--regenerate]

One dealer holds all the leads (the funnel benchmark's generator, benchmarks/funnel.py, with a
single dealer), each with its intake record (a JSON body) and a "received" timeline event;
5,000 rejected intake records and 20,000 unmatched replies from other people sit beside them.
Twenty of the leads get a full history (notes, attempts, call legs, messages in and out, an
unmatched reply, a rejected request).

1. ``person_erase`` of those people, one after another — budget ≤ 1 s each; the floor is one
   indexed lookup and update of the same lead in a transaction, measured in the same run.
2. ``retention_run`` 25 months later, over every intake body and every closed lead: each batch
   is one transaction, so its duration is the longest any row lock is held — budget ≤ 1 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time

from benchmarks.funnel import _create_database, _dataset

EXTRA_SQL = [
    # One intake record per lead, its body the lead as JSON (what a portal sent).
    """
    INSERT INTO leads_intakerecord (dealer_id, dealer_slug, source, format, external_id,
        received_at, content_type, headers, body, body_size, outcome, status_code, error, errors,
        lead_id, replay_count)
    SELECT l.dealer_id, 'bench-0', l.source, 'json', l.external_id, l.received_at,
        'application/json', '{"Content-Type": "application/json"}'::jsonb,
        convert_to(json_build_object('customer', json_build_object('first_name', l.first_name,
            'phone', l.phone), 'message', 'Ist der Golf noch da?')::text, 'UTF8'),
        120, 'created', 201, '', '{}'::jsonb, l.id, 0
    FROM leads_lead l WHERE l.dealer_id = %(dealer)s
    """,
    """
    INSERT INTO leads_leadevent (dealer_id, lead_id, kind, at, note, data)
    SELECT dealer_id, id, 'received', received_at, '', jsonb_build_object('source', source)
    FROM leads_lead WHERE dealer_id = %(dealer)s
    """,
    """
    INSERT INTO leads_intakerecord (dealer_id, dealer_slug, source, format, external_id,
        received_at, content_type, headers, body, body_size, outcome, status_code, error, errors,
        replay_count)
    SELECT %(dealer)s, 'bench-0', 'api', 'json', '', now() - n * interval '1 minute',
        'application/json', '{}'::jsonb,
        convert_to('{"customer": {"phone": "0160 ' || lpad(n::text, 7, '0') || '"}}', 'UTF8'),
        50, 'rejected', 422, 'invalid lead', '{}'::jsonb, 0
    FROM generate_series(1, 5000) AS n
    """,
    """
    INSERT INTO followup_inboundmessage (dealer_id, channel, sender, recipient, text,
        provider_sid, opt_out, received_at)
    SELECT %(dealer)s, 'whatsapp', '+49160' || lpad(n::text, 8, '0'), '+4940123456',
        'Hallo?', '', false, now() - n * interval '1 minute'
    FROM generate_series(1, 20000) AS n
    """,
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--erasures", type=int, default=20)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--skip-retention", action="store_true")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database of its own, e.g. …/lf_privacy_bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadflow.settings")
    os.environ.setdefault("SECRET_KEY", "benchmark")
    os.environ.setdefault("LEADFLOW_PROVIDERS", "sandbox")
    _create_database(url)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    [dealer], _first = _dataset(args.leads, 1, args.regenerate)
    _extra(dealer)
    print(f"dataset ready in {time.perf_counter() - started:.0f} s", flush=True)
    people = _histories(dealer, args.erasures)
    floor, erase = _erasures(dealer, people)
    print()
    print(f"leads in the dealer: {args.leads:,}")
    print(
        f"person_erase: p50 {statistics.median(erase):.0f} ms, max {max(erase):.0f} ms "
        f"over {len(erase)} people (budget ≤ 1000 ms); floor (one lead lookup + update) "
        f"p50 {statistics.median(floor):.1f} ms"
    )
    if not args.skip_retention:
        _retention(args.leads)


def _extra(dealer) -> None:
    from django.db import connection

    from leads.models import IntakeRecord

    if IntakeRecord.objects.filter(dealer=dealer).exists():
        return
    print("generating intake records, events, replies …", flush=True)
    with connection.cursor() as cursor:
        for sql in EXTRA_SQL:
            cursor.execute(sql, {"dealer": dealer.pk})
        for table in ("leads_intakerecord", "leads_leadevent", "followup_inboundmessage"):
            cursor.execute(f"VACUUM ANALYZE {table}")


def _histories(dealer, count: int) -> list[str]:
    """Give ``count`` leads a full history; their phone numbers."""
    from django.utils import timezone

    from dealers.models import Salesperson
    from followup.models import Attempt, Call, InboundMessage, OutboundMessage
    from leads.models import IntakeRecord, Lead, LeadEvent

    rep = Salesperson.objects.filter(dealer=dealer).first()
    leads = list(
        Lead.objects.filter(dealer=dealer, erased_at__isnull=True)
        .exclude(phone="")
        .order_by("?")[:count]
    )
    now = timezone.now()
    for lead in leads:
        for step in range(5):
            attempt = Attempt.objects.create(
                dealer=dealer, lead=lead, key=f"step:{step}", channel="phone", due_at=now
            )
            Call.objects.create(
                dealer=dealer,
                lead=lead,
                attempt=attempt,
                leg="customer",
                to=lead.phone,
                from_number="+4940123456",
                provider="sandbox",
                salesperson=rep,
            )
        LeadEvent.objects.bulk_create(
            LeadEvent(dealer=dealer, lead=lead, kind="note", note=f"Rückruf unter {lead.phone}")
            for _ in range(10)
        )
        for n in range(3):
            OutboundMessage.objects.create(
                dealer=dealer,
                lead=lead,
                channel="whatsapp",
                purpose="followup",
                to=f"whatsapp:{lead.phone}",
                body="Hallo, hier Autohaus",
                provider="sandbox",
                attempt_id=None,
                status="sent",
                provider_sid=f"sandbox-{lead.pk}-{n}",
            )
        InboundMessage.objects.create(
            dealer=dealer, lead=lead, channel="whatsapp", sender=lead.phone, text="Ja gern"
        )
        InboundMessage.objects.create(
            dealer=dealer, lead=None, channel="whatsapp", sender=lead.phone, text="Noch da?"
        )
        IntakeRecord.objects.create(
            dealer=dealer,
            dealer_slug=dealer.slug,
            source="api",
            outcome="rejected",
            body=f'{{"customer": {{"phone": "{lead.phone}"}}}}'.encode(),
            status_code=422,
        )
    return [lead.phone for lead in leads]


def _erasures(dealer, phones: list[str]) -> tuple[list[float], list[float]]:
    from django.db import transaction

    from leads.models import Lead
    from privacy.erase import person_erase

    floor, erase = [], []
    for phone in phones:
        started = time.perf_counter()
        with transaction.atomic():
            lead = Lead.objects.select_for_update().get(dealer=dealer, phone=phone)
            Lead.objects.filter(pk=lead.pk).update(updated_at=lead.updated_at)
        floor.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        receipt = person_erase(dealer=dealer, phone=phone, by="benchmark", via="benchmark")
        erase.append((time.perf_counter() - started) * 1000)
        assert receipt.counts["leads"] == 1 and receipt.counts["calls"] == 5, receipt.counts
        assert receipt.counts["intake_records"] == 2, receipt.counts
    return floor, erase


def _retention(total: int) -> None:
    from django.utils import timezone

    from privacy.retention import retention_run

    later = timezone.now() + dt.timedelta(days=25 * 31)
    print(f"retention 25 months later over {total:,} leads and their intake records …", flush=True)
    started = time.perf_counter()
    run = retention_run(now=later)
    elapsed = time.perf_counter() - started
    batches = sorted(run.batch_seconds)
    p99 = batches[min(len(batches) - 1, round(0.99 * (len(batches) - 1)))] if batches else 0
    print(
        f"retention: {run.rows} in {run.batches} batches of ≤ 500 rows, {elapsed:.0f} s in all; "
        f"lock held per batch p50 {statistics.median(batches) * 1000:.0f} ms, "
        f"p99 {p99 * 1000:.0f} ms, max {run.longest_batch_seconds * 1000:.0f} ms (budget ≤ 1000 ms)"
    )
    print(
        "longest batch per class: "
        + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in run.longest.items())
    )


if __name__ == "__main__":
    main()
