"""The lead's timeline."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealers.models import Dealer, Salesperson


class LeadEvent(models.Model):
    """One line of the lead's timeline: who did what, when.

    ``data`` holds what the timeline (leads/timeline.py, leads/labels.py), the lead page's
    evidence check and the data export read back, by kind. Writers add only these keys:

    - received, repeat_inquiry: ``source``, ``external_id``, ``intake`` (IntakeRecord id);
      repeat_inquiry also ``vehicle``.
    - assigned: ``to`` (Salesperson id), ``name``, ``returning``, ``manual``, ``took_over``.
    - bdc: ``reason`` (a routing code, leads.labels.REASONS), ``by``.
    - followup_started: ``trigger``, ``repeat``.
    - status: ``from``, ``to`` (Lead.Status), ``reason`` (lost reason or why), ``evidence``
      (what proved contact: ``{"kind", "event" | "inbound" | "note", "at", …}``).
    - call: ``sid``, ``call`` (Call id), ``attempt``, ``event`` ("customer call ended", …),
      ``status``, ``duration`` (seconds), ``bridged``, ``connected``, ``outcome``, ``digits``,
      ``from``, ``to``, ``by``, ``reason``, ``error``, ``retry_at``.
    - message: ``message`` (OutboundMessage id), ``channel``, ``purpose``, ``template``,
      ``status``, ``reason``.
    - inbound: ``inbound`` (InboundMessage id), ``channel``, ``sid``, ``stop``, ``refusal``,
      ``auto_reply``.
    - attempt: ``count``, ``due_at``, ``scheduled``, ``cancelled``, ``moved``, ``reason``,
      ``to``, ``booking``, ``by_customer``.
    - outcome: ``outcome`` (services.OUTCOMES) and the evidence keys; ``phone_invalid``.
    - opted_out: ``via``.
    - appointment: ``at``, ``kind``, ``moved_from``, ``booking``, ``by_customer``.
    - erased: ``receipt``.
    - policy: the contact decision (followup.policy.gate.decision_data): ``decision``,
      ``allowed``, ``action``, ``channel``, ``purpose``, ``rule``, ``consent``, ``hours``, ``next``.
    - consent: ``channel``, ``purpose``, ``given``.
    - possible_opt_out: ``inbound``, ``resolved``.
    - note: nothing; the text is ``note``.
    """

    class Kind(models.TextChoices):
        RECEIVED = "received", _("Lead received")
        REPEAT_INQUIRY = "repeat_inquiry", _("Repeat inquiry")
        ASSIGNED = "assigned", _("Assigned")
        BDC = "bdc", _("Handed to the BDC")
        FOLLOWUP_STARTED = "followup_started", _("Follow-up started")
        STATUS = "status", _("Status changed")
        CALL = "call", _("Call")
        MESSAGE = "message", _("Message")
        INBOUND = "inbound", _("Reply from customer")
        ATTEMPT = "attempt", _("Attempt")
        NOTE = "note", _("Note")
        OUTCOME = "outcome", _("Outcome logged")
        OPTED_OUT = "opted_out", _("Opted out")
        APPOINTMENT = "appointment", _("Appointment")
        ERASED = "erased", _("Personal data erased")
        POLICY = "policy", _("Contact decision")
        CONSENT = "consent", _("Consent")
        POSSIBLE_OPT_OUT = "possible_opt_out", _("Possible opt-out")

    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="+")
    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        Salesperson, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["lead", "at"], name="event_timeline")]

    def __str__(self) -> str:
        # In the active zone: the admin shows these titles next to its dealer-local times.
        return f"{self.get_kind_display()} @ {timezone.localtime(self.at):%Y-%m-%d %H:%M}"
