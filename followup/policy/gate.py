"""The gate: one function every outbound contact asks, and the record of its answer.

``contact_decide`` answers allow or deny with the rule that decided, checking in this order:
test lead, an address to contact, the person's suppression entries, a reply waiting to be
confirmed as an opt-out, consent for the channel and purpose (with its evidence), WhatsApp's
24-hour rule, and the hours (quiet hours in the customer's and the dealer's zone, holidays,
closed days, the dealer's contact hours). The decision is stored (``ContactDecision``) and put
on the lead's timeline as codes the lead page shows in the viewer's language.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone
from phonenumbers import NumberParseException

from dealers.models import Salesperson
from followup.policy.calendar import hours_check, next_allowed
from followup.policy.models import Consent, ContactChannel, ContactDecision, Purpose
from followup.policy.person import PersonKey, person_key
from followup.policy.suppression import suppression_check
from leads.labels import policy_line
from leads.models import Lead, LeadEvent
from leads.phones import is_mobile

WHATSAPP_WINDOW = dt.timedelta(hours=24)
# Denials that the next allowed moment can cure; every other denial ends the attempt.
HOURS_RULES = frozenset({"quiet_hours", "dealer_hours", "holiday", "closed_day"})
# Attempt purposes that are not answering the customer's own inquiry.
MARKETING_PURPOSES = frozenset({"recovery", "marketing", "still_interested"})


@dataclass
class Decision:
    allowed: bool
    rule: str
    action: str
    channel: str
    purpose: str
    consent: dict = field(default_factory=dict)
    hours: dict = field(default_factory=dict)
    next_allowed_at: dt.datetime | None = None
    override: bool = False
    record: ContactDecision | None = None

    @property
    def curable(self) -> bool:
        """Denied only for the moment: it may happen at ``next_allowed_at``."""
        return not self.allowed and self.rule in HOURS_RULES and self.next_allowed_at is not None


def purpose_of(*, lead: Lead, purpose: str) -> str:
    """The policy purpose of an attempt or message purpose code."""
    if purpose in MARKETING_PURPOSES or lead.status == Lead.Status.LOST:
        return Purpose.MARKETING
    return Purpose.REPLY


def consent_state(*, lead: Lead, channel: str, purpose: str, key: PersonKey | None = None) -> dict:
    """Yes / no / unknown for the channel and purpose, with where it comes from.

    A later statement recorded on the lead page (``Consent``) beats what the portal said;
    marketing needs such an explicit yes; a reply is allowed for the dealer's ``reply_days``
    after the inquiry.
    """
    key = key or person_key(dealer=lead.dealer, phone=lead.phone, email=lead.email)
    row = None
    if key:
        row = (
            Consent.objects.of_person(dealer=lead.dealer, hashes=key.hashes)
            .filter(channel=channel, purpose__in=[purpose, Purpose.MARKETING])
            .order_by("-at", "-id")
            .first()
        )
    if row is not None and (row.purpose == purpose or row.given is False):
        return {
            "state": "yes" if row.given else "no",
            "source": "salesperson",
            "at": row.at.isoformat(),
            "by": row.by.display_name if row.by_id else "",
            "note": row.evidence,
            "purpose": row.purpose,
        }
    if purpose == Purpose.MARKETING:
        return {"state": "unknown", "source": "none", "purpose": purpose}
    # A text is a call as far as consent goes (the TCPA treats it so): SMS follows the phone.
    field_name = {"phone": "consent_phone", "sms": "consent_phone", "email": "consent_email"}.get(
        channel, "consent_whatsapp" if channel == ContactChannel.WHATSAPP else ""
    )
    value = getattr(lead, field_name) if field_name else None
    portal = (lead.raw_payload or {}).get("consent") if isinstance(lead.raw_payload, dict) else {}
    stated = isinstance(portal, dict) and channel in portal
    evidence = {
        "state": {True: "yes", False: "no", None: "unknown"}[value],
        "source": "portal" if stated else ("preferred_channel" if value else "none"),
        "portal": lead.source,
        "field": f"consent.{channel}" if stated else "customer.preferred_channel",
        "at": lead.received_at.isoformat(),
        "purpose": purpose,
    }
    return evidence


def _address_rule(*, lead: Lead, channel: str) -> str:
    if channel == ContactChannel.EMAIL:
        return "" if lead.email else "no_address"
    if not lead.phone:
        return "no_address"
    if channel in (ContactChannel.WHATSAPP, ContactChannel.SMS):
        try:
            mobile = is_mobile(lead.phone)
        except NumberParseException:  # a number stored before validation existed
            mobile = False
        if not mobile:
            return "no_address"
        sender = {
            ContactChannel.WHATSAPP: lead.dealer.whatsapp_sender,
            ContactChannel.SMS: lead.dealer.sms_sender,
        }[ContactChannel(channel)]
        if not sender:
            return "no_sender"
    return ""


def contact_decide(
    *,
    lead: Lead,
    channel: str,
    action: str,
    purpose: str = "",
    by: Salesperson | None = None,
    override: bool = False,
    free_text: bool = False,
    informational: bool = False,
    dealer_hours: bool = True,
    check_hours: bool = True,
    attempt_id: int | None = None,
    call_id: int | None = None,
    message_id: int | None = None,
    when: dt.datetime | None = None,
    record: bool = True,
) -> Decision:
    """May LeadFlow contact ``lead``'s person by ``channel`` for ``action`` now?

    ``purpose`` is the attempt's or message's purpose code (mapped to reply / marketing);
    ``free_text`` marks a WhatsApp that is not an approved template; ``informational`` the
    automatic first answer, which only quiet hours hold back (not holidays or the dealer's
    contact hours); ``override`` a person's choice to contact outside the hours, honoured only
    where the dealer allows it. ``check_hours=False`` asks only whether the channel may be used
    at all (which templates to offer). ``record`` stores the decision and puts it on the timeline.
    """
    when = when or timezone.now()
    policy_purpose = (
        purpose if purpose in Purpose.values else purpose_of(lead=lead, purpose=purpose)
    )
    decision = Decision(
        allowed=False, rule="", action=action, channel=channel, purpose=policy_purpose
    )
    key = person_key(dealer=lead.dealer, phone=lead.phone, email=lead.email)
    rule = "test_lead" if lead.is_test else _address_rule(lead=lead, channel=channel)
    rule = rule or _person_rule(decision, lead=lead, channel=channel, key=key, by=by)
    rule = rule or _consent_rule(decision, lead=lead, channel=channel, key=key, when=when)
    if not rule and channel == ContactChannel.WHATSAPP and free_text:
        rule = _window_rule(lead=lead, when=when)
    if not rule and check_hours:
        rule = _hours(
            decision, lead=lead, when=when, informational=informational, dealer_hours=dealer_hours
        )
        rule = _overridden(decision, rule=rule, lead=lead, by=by) if override else rule
    decision.allowed = rule in ("", "override")
    decision.rule = rule or "allowed"
    if record:
        decision_record(
            decision,
            lead=lead,
            by=by,
            when=when,
            attempt_id=attempt_id,
            call_id=call_id,
            message_id=message_id,
        )
    return decision


def _window_rule(*, lead: Lead, when: dt.datetime) -> str:
    """Free text by WhatsApp only within 24 hours of the customer's last message."""
    inbound = lead.last_inbound_at
    return "whatsapp_window" if inbound is None or when - inbound >= WHATSAPP_WINDOW else ""


def _overridden(decision: Decision, *, rule: str, lead: Lead, by: Salesperson | None) -> str:
    """A person's choice to contact outside the hours, where the dealer allows it."""
    if rule and lead.dealer.policy_override and by is not None:
        decision.override = True
        return "override"
    return rule


def _person_rule(
    decision: Decision, *, lead: Lead, channel: str, key: PersonKey, by: Salesperson | None
) -> str:
    """The person said no: on the suppression list, opted out, or a refusal to confirm."""
    entry = suppression_check(dealer=lead.dealer, channel=channel, key=key)
    if entry is not None:
        decision.consent = {
            "state": "no",
            "source": "suppression",
            "reason": entry.reason,
            "via": entry.source,
            "at": entry.created_at.isoformat(),
        }
        return "suppressed"
    if lead.opted_out:
        return "opted_out"
    if lead.possible_opt_out_at is not None and by is None:
        return "possible_opt_out"
    return ""


def _consent_rule(
    decision: Decision, *, lead: Lead, channel: str, key: PersonKey, when: dt.datetime
) -> str:
    """The consent the purpose needs, and the reply period of consent given by an inquiry."""
    purpose = decision.purpose
    decision.consent = consent_state(lead=lead, channel=channel, purpose=purpose, key=key)
    state = decision.consent["state"]
    if state == "no":
        return "no_consent"
    if state == "unknown":
        return "no_marketing_consent" if purpose == Purpose.MARKETING else "consent_unknown"
    if (
        purpose == Purpose.REPLY
        and decision.consent.get("source") != "salesperson"
        and when - lead.received_at > dt.timedelta(days=lead.dealer.reply_days)
    ):
        return "reply_period_over"
    return ""


def _hours(
    decision: Decision, *, lead: Lead, when: dt.datetime, informational: bool, dealer_hours: bool
) -> str:
    if informational and decision.channel == ContactChannel.EMAIL:
        # The automatic first answer by email rings no phone: it may go at any hour.
        decision.hours = {"ok": True}
        return ""
    phone = lead.phone if decision.channel != ContactChannel.EMAIL or lead.phone else ""
    check = hours_check(
        dealer=lead.dealer,
        phone=phone,
        when=when,
        dealer_hours=dealer_hours and not informational,
    )
    if informational and check.rule in ("holiday", "closed_day"):
        # The automatic answer to the customer's own inquiry may go on a holiday, within quiet
        # hours: "we got your request" is what they are waiting for.
        check = hours_check(dealer=lead.dealer, phone=phone, when=when, dealer_hours=False)
        if check.rule in ("holiday", "closed_day"):
            check.ok, check.rule = True, ""
    decision.hours = check.as_data()
    if check.ok:
        return ""
    decision.next_allowed_at = next_allowed(
        dealer=lead.dealer, phone=phone, when=when, dealer_hours=dealer_hours and not informational
    )
    return check.rule


def decision_record(
    decision: Decision,
    *,
    lead: Lead,
    by: Salesperson | None,
    when: dt.datetime,
    attempt_id: int | None = None,
    call_id: int | None = None,
    message_id: int | None = None,
) -> ContactDecision:
    row = ContactDecision.objects.create(
        dealer_id=lead.dealer_id,
        lead=lead,
        at=when,
        action=decision.action,
        channel=decision.channel,
        purpose=decision.purpose,
        allowed=decision.allowed,
        rule=decision.rule,
        consent_state=decision.consent.get("state", ""),
        consent_evidence=decision.consent,
        hours=decision.hours,
        next_allowed_at=decision.next_allowed_at,
        override=decision.override,
        by=by,
        attempt_id=attempt_id,
        call_id=call_id,
        message_id=message_id,
    )
    decision.record = row
    lead.log(LeadEvent.Kind.POLICY, by=by, at=when, data=decision_data(decision))
    return row


def decision_data(decision: Decision) -> dict:
    """The codes the timeline shows (``leads.labels.policy_line``)."""
    return {
        "decision": decision.record.pk if decision.record else None,
        "allowed": decision.allowed,
        "action": decision.action,
        "channel": decision.channel,
        "purpose": decision.purpose,
        "rule": decision.rule,
        "consent": {
            k: decision.consent[k]
            for k in ("state", "source", "portal", "via")
            if k in decision.consent
        },
        "hours": {
            k: decision.hours[k]
            for k in ("customer_local", "customer_tz", "detail")
            if decision.hours.get(k)
        },
        "next": decision.next_allowed_at.isoformat() if decision.next_allowed_at else None,
    }


def refusal_text(decision: Decision) -> str:
    """Why not, and when it is allowed, in the active language (for EngineUnavailable)."""
    return policy_line(decision_data(decision))
