"""The follow-up engine as the UI sees it (``leads.engine.Engine``)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from dealers.models import Salesperson
from followup import messaging, outbox
from followup.conversation import conversation as lead_conversation
from followup.models import Attempt, OutboundMessage
from followup.policy import consent, optout
from followup.policy.gate import consent_state, contact_decide, refusal_text
from followup.policy.models import ContactDecision, Purpose
from followup.policy.person import person_key
from followup.policy.suppression import suppression_channels
from followup.progress import lead_phone_invalid
from followup.stop import followup_stop
from followup.voice.ring import call_now
from leads.engine import (
    ChannelStatus,
    ConversationMessage,
    EngineUnavailable,
    Unsettled,
    Upcoming,
)
from leads.labels import CHANNEL_ACTIONS
from leads.models import Lead


class FollowupEngine:
    def call_now(self, *, lead: Lead, by: Salesperson, override: bool = False) -> None:
        if not lead.phone:
            raise EngineUnavailable(_("This lead has no phone number."))
        if lead.phone_is_invalid:
            raise EngineUnavailable(_("The phone number is wrong."))
        if not by.phone:
            raise EngineUnavailable(_("Add your phone number to your profile first."))
        if not lead.dealer.caller_id:
            raise EngineUnavailable(_("The dealer has no caller ID."))
        decision = contact_decide(
            lead=lead, channel="phone", action="click_to_call", by=by, override=override
        )
        if not decision.allowed:
            raise EngineUnavailable(refusal_text(decision))
        attempt = call_now(lead=lead, by=by)
        if decision.record is not None:
            ContactDecision.objects.filter(pk=decision.record.pk).update(attempt_id=attempt.pk)

    def send_message(
        self,
        *,
        lead: Lead,
        by: Salesperson,
        channel: str,
        template: str,
        text: str = "",
        override: bool = False,
    ) -> None:
        messaging.message_send_manual(
            lead=lead, by=by, channel=channel, template=template, text=text, override=override
        )

    def opt_out(self, *, lead: Lead, by: Salesperson) -> bool:
        return optout.lead_opt_out(lead=lead, via="salesperson", by=by)

    def consent_record(
        self, *, lead: Lead, by: Salesperson, channel: str, given: bool, note: str
    ) -> None:
        consent.consent_record(lead=lead, by=by, channel=channel, given=given, note=note)

    def possible_opt_out_resolve(self, *, lead: Lead, by: Salesperson, confirmed: bool) -> None:
        consent.possible_opt_out_resolve(lead=lead, by=by, confirmed=confirmed)

    def channel_status(self, *, lead: Lead) -> list[ChannelStatus]:
        key = person_key(dealer=lead.dealer, phone=lead.phone, email=lead.email)
        suppressed = suppression_channels(dealer=lead.dealer, key=key)
        out = []
        for channel in ("phone", "email", "whatsapp"):
            if channel in suppressed:
                out.append(ChannelStatus(channel, "no", "suppression", True))
                continue
            state = consent_state(lead=lead, channel=channel, purpose=Purpose.REPLY, key=key)
            out.append(ChannelStatus(channel, state["state"], state.get("source", ""), False))
        return out

    def message_templates(self, *, lead: Lead) -> list[tuple[str, str]]:
        return messaging.message_templates(lead=lead)

    def upcoming(self, *, lead: Lead) -> list[Upcoming]:
        return [
            Upcoming(
                due_at=a.due_at, channel=a.channel, label=a.label or CHANNEL_ACTIONS[a.channel]
            )
            for a in Attempt.objects.pending().touches().filter(lead=lead).order_by("due_at", "id")
        ]

    def appointment_booked(self, *, lead: Lead, by: Salesperson) -> None:
        messaging.appointment_booked(lead=lead, by=by)

    def lead_stopped(self, *, lead: Lead, reason: str) -> None:
        followup_stop(lead_id=lead.pk, reason=reason)

    def phone_invalid(self, *, lead: Lead, by: Salesperson) -> bool:
        lead_phone_invalid(lead=lead)
        return messaging.phone_invalid_ask(lead=lead, by=by)

    def messages_unsettled(self, *, lead: Lead) -> list[Unsettled]:
        return [
            Unsettled(
                id=m.pk,
                channel=m.channel,
                purpose=m.purpose,
                to=m.to,
                created_at=m.created_at,
                reason=m.error_reason,
            )
            for m in outbox.messages_unsettled(lead=lead)
        ]

    def message_settle(self, *, lead: Lead, by: Salesperson, message_id: int, how: str) -> bool:
        # Scoped to the lead the page shows (itself scoped to the user's dealer).
        message = (
            OutboundMessage.objects.filter(lead=lead, pk=message_id)
            .select_related("lead__dealer", "sent_by")
            .first()
        )
        if message is None:
            return False
        if how == "resend":
            return outbox.message_resend(message=message, by=by)
        if how == "sent":
            return outbox.message_mark_sent(message=message)
        return False

    def conversation(self, *, lead: Lead) -> list[ConversationMessage]:
        return lead_conversation(lead=lead)
