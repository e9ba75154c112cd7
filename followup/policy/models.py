"""The contact policy's durable state: the person-level suppression list."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dealers.models import Dealer, Salesperson


class ContactChannel(models.TextChoices):
    """The ways LeadFlow reaches a customer. Consent and suppression are kept per channel."""

    PHONE = "phone", pgettext_lazy("channel", "Call")
    SMS = "sms", pgettext_lazy("channel", "SMS")
    WHATSAPP = "whatsapp", pgettext_lazy("channel", "WhatsApp")
    EMAIL = "email", pgettext_lazy("channel", "Email")


ALL_CHANNELS: tuple[str, ...] = tuple(ContactChannel.values)


class SuppressionReason(models.TextChoices):
    OPT_OUT = "opt_out", _("Opted out")
    WITHDRAWN = "withdrawn", _("Consent withdrawn")
    COMPLAINT = "complaint", _("Complaint")
    ERASURE = "erasure", _("Personal data erased")


class SuppressionSource(models.TextChoices):
    STOP_KEYWORD = "stop_keyword", _("Stop word in a reply")
    UNSUBSCRIBE_LINK = "unsubscribe_link", _("Unsubscribe link")
    PROVIDER = "provider", _("Provider reported an opt-out (e.g. Twilio 21610)")
    ESP_COMPLAINT = "esp_complaint", _("Spam complaint to the email provider")
    SALESPERSON = "salesperson", _("Recorded by a salesperson")
    CONFIRMED_REFUSAL = "confirmed_refusal", _("Refusal confirmed by a person")
    ERASURE = "erasure", _("Erasure request")
    ADMIN = "admin", _("Administrator")


class SuppressionQuerySet(models.QuerySet):
    def active(self) -> SuppressionQuerySet:
        return self.filter(lifted_at__isnull=True)


class Suppression(models.Model):
    """One person (by a keyed hash of their phone or email) must not be contacted on one
    channel by one dealer. Holds no personal data, so it outlives the person's erasure.

    A row is lifted (never deleted) only when the person gives new consent with evidence.
    """

    class Kind(models.TextChoices):
        PHONE = "phone", _("Phone number")
        EMAIL = "email", _("Email address")

    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="suppressions")
    kind = models.CharField(_("identifier"), max_length=5, choices=Kind.choices)
    person_hash = models.CharField(_("person hash"), max_length=64)
    channel = models.CharField(_("channel"), max_length=10, choices=ContactChannel.choices)
    reason = models.CharField(_("reason"), max_length=20, choices=SuppressionReason.choices)
    source = models.CharField(_("source"), max_length=20, choices=SuppressionSource.choices)
    created_at = models.DateTimeField(_("since"), default=timezone.now)
    created_by = models.ForeignKey(
        Salesperson, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    lifted_at = models.DateTimeField(_("lifted"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        Salesperson, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    lift_reason = models.CharField(_("why lifted"), max_length=200, blank=True)

    objects = SuppressionQuerySet.as_manager()

    class Meta:
        verbose_name = _("suppression")
        verbose_name_plural = _("suppression list")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One active entry per person, channel and dealer: a second STOP changes nothing.
            models.UniqueConstraint(
                fields=["dealer", "person_hash", "channel"],
                condition=Q(lifted_at__isnull=True),
                name="suppression_active_once",
            )
        ]
        indexes = [models.Index(fields=["dealer", "person_hash"], name="suppression_lookup")]

    def __str__(self) -> str:
        return f"{self.dealer_id} {self.kind}:{self.person_hash[:8]}… {self.channel}"


class Purpose(models.TextChoices):
    """Why LeadFlow contacts the customer. A reply answers the customer's own inquiry (for the
    dealer's ``reply_days``); marketing is everything else and needs explicit consent."""

    REPLY = "reply", _("reply to the inquiry")
    MARKETING = "marketing", _("marketing")


class ConsentQuerySet(models.QuerySet):
    def of_person(self, *, dealer: Dealer, hashes: list[str]) -> ConsentQuerySet:
        return self.filter(dealer=dealer).filter(
            Q(phone_hash__in=hashes) | Q(email_hash__in=hashes)
        )


class Consent(models.Model):
    """A consent or a withdrawal recorded after intake, per person, channel and purpose.

    What the portal said at intake stays on the lead (``consent_phone`` …); a row here is a
    later statement of the customer (recorded by a salesperson, with what they said) and
    overrides it. The newest row per channel and purpose counts.
    """

    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="+")
    lead = models.ForeignKey(
        "leads.Lead", on_delete=models.CASCADE, related_name="consents", null=True, blank=True
    )
    phone_hash = models.CharField(max_length=64, blank=True)
    email_hash = models.CharField(max_length=64, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=ContactChannel.choices)
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices)
    given = models.BooleanField(_("given"))
    evidence = models.CharField(_("evidence"), max_length=300, blank=True)
    at = models.DateTimeField(_("when"), default=timezone.now)
    by = models.ForeignKey(
        Salesperson, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ConsentQuerySet.as_manager()

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["dealer", "phone_hash"], name="consent_by_phone"),
            models.Index(fields=["dealer", "email_hash"], name="consent_by_email"),
        ]

    def __str__(self) -> str:
        return f"{self.channel}/{self.purpose}: {'yes' if self.given else 'no'}"


class ContactDecision(models.Model):
    """The gate's answer to one outbound contact, kept with what it looked at.

    No call leg to a customer and no message leaves without an allowed row here: what
    (``action``), channel, purpose, the consent state and its evidence, the hours checked and
    the rule that decided.
    """

    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="+")
    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="decisions")
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=20)
    channel = models.CharField(max_length=10, choices=ContactChannel.choices)
    purpose = models.CharField(max_length=10, choices=Purpose.choices)
    allowed = models.BooleanField()
    rule = models.CharField(max_length=30)
    consent_state = models.CharField(max_length=10)
    consent_evidence = models.JSONField(default=dict, blank=True)
    hours = models.JSONField(default=dict, blank=True)
    next_allowed_at = models.DateTimeField(null=True, blank=True)
    override = models.BooleanField(default=False)
    by = models.ForeignKey(
        Salesperson, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    attempt_id = models.BigIntegerField(null=True, blank=True)
    call_id = models.BigIntegerField(null=True, blank=True)
    message_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("contact decision")
        verbose_name_plural = _("contact decisions")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["lead", "at"], name="decision_by_lead")]

    def __str__(self) -> str:
        verdict = "allow" if self.allowed else "deny"
        return f"{self.action} {self.channel} {verdict} ({self.rule})"
