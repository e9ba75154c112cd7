"""The worker side of the ring: claim an attempt, ask the provider for each leg, reconcile a
create whose outcome is unknown, hang up legs still ringing."""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from dealers.models import Salesperson
from followup import queue
from followup.models import Attempt, Call
from followup.progress import (
    attempt_gate,
    lead_next_action_refresh,
    lead_touched,
)
from followup.providers import voice_provider
from followup.providers.base import CallRequest, ProviderError
from followup.sla import nobody_to_ring
from followup.voice.callbacks import voice_status
from followup.voice.legs import (
    CHECK_BACKOFF_SECONDS,
    MAX_CHECKS,
    MAX_TRIES,
    RING_SECONDS,
    leg_create,
    public_url,
    ring_escalate,
    ring_next_target,
)
from leadflow.lib.metrics import PROVIDER_ERRORS
from leads.labels import action_code
from leads.models import Lead, LeadEvent

log = logging.getLogger(__name__)


def ring_attempt_run(*, attempt_id: int) -> str:
    """Claim a call attempt and ring the first target. Exactly once per attempt."""
    attempt = (
        Attempt.objects.filter(pk=attempt_id)
        .select_related("lead__dealer", "requested_by__user", "requested_by__dealer")
        .first()
    )
    if attempt is None or attempt.status not in Attempt.PENDING:
        return "taken"
    if not attempt_gate(attempt=attempt):
        return "skipped"
    with transaction.atomic():
        # The claim and the first leg commit together: no claimed attempt without a leg.
        if not attempt.claim():
            return "taken"
        target = ring_next_target(attempt=attempt, first=True)
        if target is None:
            attempt.finish(outcome="nobody to ring", status=Attempt.Status.FAILED)
            attempt.lead.log(
                LeadEvent.Kind.CALL, data={"attempt": attempt.pk, "outcome": "nobody to ring"}
            )
            # The managers hear of it at once; a BDC lead becomes everybody's.
            nobody_to_ring(lead=attempt.lead)
            return "nobody"
        # Born claimed ("dialing"): this worker owns the first leg from its first moment.
        call = leg_create(attempt=attempt, target=target, first=True, claimed=True)
        lead_touched(lead=attempt.lead, channel="phone")
    outcome = _dial(call)
    # After the dial: the two-minute promise waits for nothing that is not the call.
    lead_next_action_refresh(lead=attempt.lead)
    return outcome


def call_dial(*, call_id: int) -> str:
    """pending → dialing (one conditional UPDATE), then ask the provider for the call."""
    now = timezone.now()
    won = Call.objects.filter(pk=call_id, status=Call.Status.PENDING).update(
        status=Call.Status.DIALING, claimed_at=now, retry_at=None, tries=F("tries") + 1
    )
    if not won:
        return "taken"
    return _dial(Call.objects.select_related("lead__dealer", "salesperson__user").get(pk=call_id))


def _dial(call: Call) -> str:
    """Ask the provider for a leg this worker has claimed ("dialing")."""
    provider = voice_provider()
    request = CallRequest(
        to=call.to,
        from_number=call.from_number,
        url=public_url("followup:voice-answer", call.pk),
        status_callback=public_url("followup:voice-status", call.pk),
        timeout=RING_SECONDS,
    )
    try:
        sid = provider.create_call(request)
    except ProviderError as exc:
        return _dial_failed(call=call, exc=exc)
    Call.objects.filter(pk=call.pk).update(sid=sid)
    call.sid = sid
    call.advance(Call.Status.QUEUED)
    call.lead.log(
        LeadEvent.Kind.CALL,
        data={"call": call.pk, "event": "dialing", "to": call.who, "sid": sid},
    )
    if provider.name == "sandbox":
        # Twilio would now report the phone ringing; the sandbox phone rings at once.
        voice_status(call_id=call.pk, params={"CallSid": sid, "CallStatus": "ringing"})
    return "dialed"


def _dial_failed(*, call: Call, exc: ProviderError) -> str:
    lead = call.lead
    PROVIDER_ERRORS.labels(call.provider, "voice", exc.kind, exc.code or "none").inc()
    if exc.kind == "transient" and call.tries < MAX_TRIES:
        # Retried by the dispatcher from the row, not by a Celery countdown.
        retry_at = timezone.now() + dt.timedelta(seconds=2**call.tries)
        Call.objects.filter(pk=call.pk, status=Call.Status.DIALING).update(
            status=Call.Status.PENDING, retry_at=retry_at, error=exc.message
        )
        lead.log(
            LeadEvent.Kind.CALL,
            data={
                "call": call.pk,
                "event": "retry",
                "error": exc.message,
                "retry_at": retry_at.isoformat(),
            },
        )
        return "retry"
    if exc.kind == "unknown":
        # The call may exist at the provider: reconcile before anything is repeated.
        Call.objects.filter(pk=call.pk, status=Call.Status.DIALING).update(
            status=Call.Status.UNKNOWN,
            retry_at=timezone.now() + dt.timedelta(seconds=5),
            error=exc.message,
        )
        lead.log(
            LeadEvent.Kind.CALL, data={"call": call.pk, "event": "unknown", "error": exc.message}
        )
        return "unknown"
    Call.objects.filter(pk=call.pk).update(
        status=Call.Status.FAILED, error=exc.message, ended_at=timezone.now()
    )
    call.status = Call.Status.FAILED
    lead.log(
        LeadEvent.Kind.CALL,
        data={"call": call.pk, "event": "failed", "to": call.who, "reason": exc.message},
    )
    ring_escalate(call=call)
    return "failed"


def call_reconcile(*, call_id: int) -> str:
    """A create whose outcome is unknown: adopt the leg's own call if the provider has it,
    dial if the provider has no call at all, and after MAX_CHECKS unproven looks decide:
    end the leg with the reason and ring the next person. No leg stays unknown."""
    call = (
        Call.objects.filter(pk=call_id, status=Call.Status.UNKNOWN).select_related("lead").first()
    )
    if call is None:
        return "nothing"
    checks = call.checks + 1
    try:
        search = voice_provider().find_leg(
            to=call.to,
            from_number=call.from_number,
            since=call.claimed_at or call.created_at,
            leg_url=public_url("followup:voice-status", call.pk),
        )
    except ProviderError as exc:
        PROVIDER_ERRORS.labels(call.provider, "voice", exc.kind, exc.code or "none").inc()
        search, error = None, exc.message
    else:
        error = ""
    if search is not None and search.sid:
        return _leg_adopt(call=call, sid=search.sid)
    if search is not None and not search.unproven:
        # The provider has no call to this number since the claim: the create never arrived.
        won = Call.objects.filter(pk=call.pk, status=Call.Status.UNKNOWN).update(
            status=Call.Status.PENDING, retry_at=None, checks=checks
        )
        return call_dial(call_id=call.pk) if won else "taken"
    if checks < MAX_CHECKS:
        Call.objects.filter(pk=call.pk, status=Call.Status.UNKNOWN).update(
            checks=checks,
            retry_at=timezone.now() + dt.timedelta(seconds=CHECK_BACKOFF_SECONDS * checks),
            error=(error or call.error)[:300],
        )
        return "later"
    return _leg_give_up(call=call, checks=checks, error=error)


def _leg_adopt(*, call: Call, sid: str) -> str:
    try:
        with transaction.atomic():
            won = Call.objects.filter(pk=call.pk, status=Call.Status.UNKNOWN).update(
                sid=sid, status=Call.Status.QUEUED, retry_at=None, checks=F("checks") + 1
            )
    except IntegrityError:
        # The SID is another leg's: never adopt it (its URL named this leg, so this is a bug
        # or a tampered provider answer); decide instead of retrying forever.
        return _leg_give_up(
            call=call, checks=call.checks + 1, error=f"{sid} belongs to another leg"
        )
    if won:
        call.lead.log(LeadEvent.Kind.CALL, data={"call": call.pk, "event": "adopted", "sid": sid})
    return "adopted" if won else "taken"


def _leg_give_up(*, call: Call, checks: int, error: str) -> str:
    reason = "could not confirm the call at the provider" + (f" ({error})" if error else "")
    if not Call.objects.filter(pk=call.pk, status=Call.Status.UNKNOWN).update(
        status=Call.Status.FAILED,
        checks=checks,
        retry_at=None,
        error=reason[:300],
        ended_at=timezone.now(),
    ):
        return "taken"
    call.status, call.error = Call.Status.FAILED, reason[:300]
    log.warning("leg %s: %s; ringing the next person", call.pk, reason)
    call.lead.log(
        LeadEvent.Kind.CALL,
        data={"call": call.pk, "event": "given up", "to": call.who, "reason": reason[:200]},
    )
    ring_escalate(call=call)
    return "given up"


def call_now(*, lead: Lead, by: Salesperson) -> Attempt:
    """Click-to-call: ring ``by``'s phone and bridge to the customer through the ring flow."""
    attempt = Attempt.objects.create(
        dealer_id=lead.dealer_id,
        lead=lead,
        key=f"click:{uuid.uuid4().hex[:16]}",
        channel=Attempt.Channel.PHONE,
        purpose="click",
        label=action_code("call_now"),
        hours_rule="any",
        due_at=timezone.now(),
        status=Attempt.Status.QUEUED,
        queued_at=timezone.now(),
        requested_by=by,
    )
    queue.enqueue_on_commit(queue.RING_ATTEMPT, attempt.pk)
    return attempt


def leg_hang_up(*, call_id: int) -> bool:
    """Cancel a leg still ringing at the provider (best effort: it may have ended already)."""
    call = Call.objects.filter(pk=call_id).exclude(sid=None).first()
    if call is None or call.is_terminal or not call.sid:
        return False
    provider = voice_provider()
    provider.hang_up(call.sid)
    if provider.name == "sandbox":
        # Twilio would now report the leg cancelled; the sandbox phone stops ringing at once.
        voice_status(call_id=call.pk, params={"CallSid": call.sid, "CallStatus": "canceled"})
    return True
