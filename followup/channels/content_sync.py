"""WhatsApp templates kept in step with Twilio's Content API (and through it, Meta).

For each WhatsApp purpose and language a dealer may need, ``whatsapp_templates_sync``
makes sure there is a ``MessageTemplate`` row, creates its content at Twilio
(``POST /v1/Content``, a ``twilio/text`` body with ``{{1}}``-style variables), submits it
for WhatsApp approval with its Meta category (``POST /v1/Content/{sid}/ApprovalRequests/
whatsapp``) and reads the approval status back (``GET /v1/Content/{sid}/ApprovalRequests``).
Every request goes through the twilio SDK, outside any database transaction; each row is
written on its own, so a failure half-way loses nothing already done.

``whatsapp_gaps`` tells the manager, before a send would fail, which purposes and languages
the cadence needs that have no approved template yet.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from twilio.rest.content.v1.content import ContentList
from twilio.rest.content.v1.content.approval_create import ApprovalCreateList

from dealers.models import Dealer
from followup.cadence import dealer_cadence
from followup.channels import templates as tpl
from followup.channels.texts import DEFAULTS, FIRST_PURPOSES
from followup.models import MessageTemplate
from followup.twilio_client import twilio_client
from leads.models import Lead

log = logging.getLogger(__name__)

WHATSAPP = MessageTemplate.Channel.WHATSAPP
Approval = MessageTemplate.Approval
# Statuses Meta may still change on its own: worth asking again.
OPEN_STATUSES = ("", Approval.RECEIVED, Approval.PENDING, Approval.PAUSED)


@dataclass(frozen=True)
class SyncResult:
    created: int = 0
    submitted: int = 0
    checked: int = 0
    failed: int = 0


def dealer_languages(dealer: Dealer) -> list[str]:
    """The languages a dealer writes in: its own and those of its recent customers."""
    known = [code for code, _name in settings.LANGUAGES]
    since = timezone.now() - dt.timedelta(days=90)
    used = set(
        Lead.objects.filter(dealer=dealer, received_at__gte=since)
        .exclude(language="")
        .values_list("language", flat=True)
        .distinct()[:20]
    )
    wanted = {dealer.language} | {code.lower().split("-")[0] for code in used}
    return [code for code in known if code in wanted]


def whatsapp_purposes(dealer: Dealer) -> list[str]:
    """What the dealer's WhatsApp messages are for: every first answer, the cadence's
    WhatsApp steps, appointment confirmation and reminder."""
    purposes = list(FIRST_PURPOSES)
    for step in dealer_cadence(dealer):
        if step.channel == WHATSAPP and step.template not in purposes:
            purposes.append(step.template)
    purposes += [p for p in (tpl.APPOINTMENT, tpl.REMINDER) if p not in purposes]
    return purposes


def template_name(row: MessageTemplate) -> str:
    """Meta's template name: lower case, digits and underscores, unique per revision."""
    raw = f"lf_{row.dealer.slug}_{row.purpose}_{row.language}_r{row.revision}"
    return re.sub(r"[^a-z0-9_]+", "_", raw.lower())[:512]


def whatsapp_library(dealer: Dealer) -> list[MessageTemplate]:
    """One row per WhatsApp purpose and language the dealer needs (created from the
    built-in texts where missing), plus the dealer's own WhatsApp templates."""
    rows = {
        (t.purpose, t.language): t
        for t in MessageTemplate.objects.filter(dealer=dealer, channel=WHATSAPP)
    }
    for language in dealer_languages(dealer):
        for purpose in whatsapp_purposes(dealer):
            if (purpose, language) in rows:
                continue
            default = DEFAULTS.get((purpose, language))
            if default is None:
                continue
            row = MessageTemplate(
                dealer=dealer,
                channel=WHATSAPP,
                purpose=purpose,
                language=language,
                category=tpl.category_of(purpose),
                manual=purpose in tpl.MANUAL_PURPOSES or purpose in FIRST_PURPOSES,
            )
            row.change_text(
                label=default["label"],
                subject="",
                body=default["body"],
                variables=tpl.variables_of(default["body"]),
            )
            row.save()
            rows[(purpose, language)] = row
    return sorted(rows.values(), key=lambda t: (t.purpose, t.language))


def whatsapp_templates_sync(*, dealer: Dealer) -> SyncResult:
    """Create, submit and check every WhatsApp template of the dealer at Twilio."""
    created = submitted = checked = failed = 0
    client = twilio_client()
    for row in whatsapp_library(dealer):
        if not row.category:
            row.category = tpl.category_of(row.purpose)
            row.save(update_fields=["category", "updated_at"])
        try:
            if not row.content_sid:
                _content_create(client, row)
                created += 1
            if row.approval_status in ("", Approval.UNSUBMITTED, Approval.FAILED):
                _approval_submit(client, row)
                submitted += 1
            elif row.approval_status in OPEN_STATUSES:
                _approval_fetch(client, row)
                checked += 1
        except Exception as exc:  # one template's trouble must not stop the others
            failed += 1
            reason = str(getattr(exc, "msg", "") or exc)[:300]
            log.warning("WhatsApp template %s: sync failed: %s", row.pk, reason)
            MessageTemplate.objects.filter(pk=row.pk).update(
                rejection_reason=reason,
                approval_status=Approval.FAILED if not row.content_sid else row.approval_status,
                approval_checked_at=timezone.now(),
            )
    return SyncResult(created, submitted, checked, failed)


def _content_create(client, row: MessageTemplate) -> None:
    variables = tpl.variables_of(row.body)
    request = ContentList.ContentCreateRequest(
        {
            "friendly_name": template_name(row),
            "language": row.language,
            # Sample values Meta's reviewers see: the placeholder names themselves.
            "variables": {str(i): name for i, name in enumerate(variables, 1)},
            "types": {"twilio/text": {"body": tpl.content_body(row.body)}},
        }
    )
    content = client.content.v1.contents.create(content_create_request=request)
    row.content_sid, row.variables = content.sid, variables
    row.approval_status = Approval.UNSUBMITTED
    MessageTemplate.objects.filter(pk=row.pk).update(
        content_sid=content.sid,
        variables=variables,
        approval_status=Approval.UNSUBMITTED,
        updated_at=timezone.now(),
    )


def _approval_submit(client, row: MessageTemplate) -> None:
    request = ApprovalCreateList.ContentApprovalRequest(
        {"name": template_name(row), "category": row.category or tpl.category_of(row.purpose)}
    )
    answer = client.content.v1.contents(row.content_sid).approval_create.create(
        content_approval_request=request
    )
    _store_status(row, answer.status, answer.rejection_reason, answer.category)


def _approval_fetch(client, row: MessageTemplate) -> None:
    answer = client.content.v1.contents(row.content_sid).approval_fetch().fetch()
    whatsapp = answer.whatsapp or {}
    _store_status(
        row,
        str(whatsapp.get("status") or ""),
        str(whatsapp.get("rejection_reason") or ""),
        str(whatsapp.get("category") or ""),
    )


def _store_status(
    row: MessageTemplate, status: str | None, reason: str | None, category: str | None
) -> None:
    known = {choice for choice, _label in Approval.choices}
    status = (status or "").lower()
    row.approval_status = status if status in known else Approval.PENDING
    row.rejection_reason = (reason or "")[:300]
    if category and category.upper() in MessageTemplate.Category.values:
        # Meta may move a template to another category (allow_category_change).
        row.category = category.upper()
    row.approval_checked_at = timezone.now()
    MessageTemplate.objects.filter(pk=row.pk).update(
        approval_status=row.approval_status,
        rejection_reason=row.rejection_reason,
        category=row.category,
        approval_checked_at=row.approval_checked_at,
    )


@dataclass(frozen=True)
class Gap:
    purpose: str
    language: str
    label: str
    status: str  # "" (none yet) or the row's approval status


def whatsapp_gaps(dealer: Dealer) -> list[Gap]:
    """WhatsApp messages the dealer's cadence will try that have no approved template in a
    language its customers use: outside the 24-hour window they would fail. None with the
    sandbox provider or without a WhatsApp sender."""
    if settings.LEADFLOW_PROVIDERS == "sandbox" or not dealer.whatsapp_sender:
        return []
    rows = {
        (t.purpose, t.language): t
        for t in MessageTemplate.objects.filter(dealer=dealer, channel=WHATSAPP)
    }
    gaps = []
    for language in dealer_languages(dealer):
        for purpose in whatsapp_purposes(dealer):
            row = rows.get((purpose, language))
            if row is not None and row.is_approved:
                continue
            default = DEFAULTS.get((purpose, language)) or {}
            gaps.append(
                Gap(
                    purpose=purpose,
                    language=language,
                    label=(row.label if row else "") or default.get("label", purpose),
                    status=row.approval_status if row else "",
                )
            )
    return gaps
