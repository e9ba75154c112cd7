"""The follow-up engine as the UI sees it (``leads.engine.Engine``)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from dealers.models import Salesperson
from followup import messaging
from followup.models import Attempt
from followup.stop import followup_stop
from leads.engine import EngineUnavailable, Upcoming
from leads.labels import CHANNEL_ACTIONS
from leads.models import Lead


class FollowupEngine:
    def call_now(self, *, lead: Lead, by: Salesperson) -> None:
        from followup.channels.voice import call_now

        if lead.opted_out:
            raise EngineUnavailable(_("The customer opted out of contact."))
        if not lead.phone:
            raise EngineUnavailable(_("This lead has no phone number."))
        if not by.phone:
            raise EngineUnavailable(_("Add your phone number to your profile first."))
        if not lead.dealer.caller_id:
            raise EngineUnavailable(_("The dealer has no caller ID."))
        call_now(lead=lead, by=by)

    def send_message(
        self, *, lead: Lead, by: Salesperson, channel: str, template: str, text: str = ""
    ) -> None:
        messaging.message_send_manual(
            lead=lead, by=by, channel=channel, template=template, text=text
        )

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
