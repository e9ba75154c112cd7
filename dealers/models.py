from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from functools import cached_property
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from dealers import hours
from leadflow.lib import secrets_box


def validate_time_zone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone.") % {"value": value})


def default_targets() -> dict[str, int]:
    """The 60% rule, as percentages: reached of gross, appointments of reached, showed of
    appointments, sold of gross."""
    return {"reached": 80, "appointment": 60, "showed": 80, "sold": 22}


def default_lost_reasons() -> list[str]:
    return [
        "no contact",
        "bought elsewhere",
        "not interested",
        "no budget",
        "wrong data",
        "vehicle sold",
    ]


def hash_token(token: str) -> str:
    # Tokens are 256 random bits, so a fast unsalted digest is as good as a password hash here
    # and lets the webhook find the dealer with one indexed comparison.
    return hashlib.sha256(token.encode()).hexdigest()


class TextChannel(models.TextChoices):
    """Which channel carries a dealer's follow-up text messages (``followup.channels.sms``)."""

    WHATSAPP = "whatsapp", _("WhatsApp")
    WHATSAPP_SMS = "whatsapp_sms", _("WhatsApp, SMS where WhatsApp is missing")
    SMS = "sms", _("SMS (e.g. in the US)")


class Dealer(models.Model):
    """The tenant: one dealership (or one rooftop of a group)."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), unique=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Berlin", validators=[validate_time_zone]
    )
    country = models.CharField(
        _("country"),
        max_length=2,
        default="DE",
        help_text=_("ISO country code; the default region for phone numbers."),
    )
    subdivision = models.CharField(
        _("state / province"),
        max_length=10,
        blank=True,
        help_text=_("For public holidays, e.g. BY for Bavaria (ISO 3166-2 code without country)."),
    )
    closed_days = models.JSONField(
        _("closed days"),
        default=list,
        blank=True,
        help_text=_('Days the dealer contacts nobody, besides public holidays: ["2026-12-24", …].'),
    )
    reply_days = models.PositiveIntegerField(
        _("days a customer's inquiry may be answered"),
        default=30,
        help_text=_("After this, contact needs consent for marketing."),
    )
    policy_override = models.BooleanField(
        _("salespeople may override quiet hours"),
        default=False,
        help_text=_("Manual calls and messages outside the allowed hours, logged with who did it."),
    )
    language = models.CharField(
        _("language"), max_length=8, default="de", choices=settings.LANGUAGES
    )
    opening_hours = models.JSONField(
        _("opening hours"),
        default=hours.default_opening_hours,
        validators=[hours.validate_weekly_hours],
    )
    contact_hours = models.JSONField(
        _("customer contact hours"),
        default=hours.default_contact_hours,
        validators=[hours.validate_weekly_hours],
        help_text=_("When customers may be called or messaged, in the dealer's time zone."),
    )
    bdc_hour = models.TimeField(
        _("BDC hour"),
        default=dt.time(18, 0),
        help_text=_("Leads arriving after this time go to the BDC."),
    )
    bdc_phone = models.CharField(_("BDC phone"), max_length=20, blank=True)
    bdc_email = models.EmailField(_("BDC email"), blank=True)
    caller_id = models.CharField(
        _("caller ID"),
        max_length=20,
        blank=True,
        help_text=_("The dealer's number (E.164) calls come from."),
    )
    whatsapp_sender = models.CharField(_("WhatsApp sender"), max_length=40, blank=True)
    sms_sender = models.CharField(
        _("SMS sender"),
        max_length=40,
        blank=True,
        help_text=_("A Twilio number (E.164) or messaging service (MG…) SMS come from."),
    )
    text_channel = models.CharField(
        _("follow-up messages by"),
        max_length=12,
        choices=TextChannel.choices,
        default=TextChannel.WHATSAPP,
        help_text=_("Which channel carries the follow-up's text messages to the customer."),
    )
    email_from = models.EmailField(_("email sender"), blank=True)
    inbound_email = models.EmailField(
        _("inbound lead address"),
        blank=True,
        null=True,
        unique=True,
        help_text=_("Portals that send ADF by email send it here."),
    )
    webhook_token_hash = models.CharField(max_length=64, blank=True, editable=False)
    # Secrets at rest (leadflow/lib/secrets_box.py): what LeadFlow must use is encrypted with
    # LEADFLOW_SECRET_KEYS, what it only compares is a digest. The admin writes them, never
    # shows them; the properties below read and write them.
    signing_secret_encrypted = models.TextField(blank=True, editable=False)
    google_key_hash = models.CharField(max_length=64, blank=True, editable=False)
    meta_verify_token_hash = models.CharField(max_length=64, blank=True, editable=False)
    meta_page_token_encrypted = models.TextField(blank=True, editable=False)
    meta_page_id = models.CharField(
        _("Meta page id"),
        max_length=64,
        blank=True,
        help_text=_("Lead Ads notifications for this Facebook/Instagram page are this dealer's."),
    )
    reached_min_seconds = models.PositiveIntegerField(
        _("seconds for a call to count as reached"), default=30
    )
    recovery_days = models.PositiveIntegerField(
        _("days before a lost lead's BDC recovery call"), default=14
    )
    call_gap_minutes = models.PositiveSmallIntegerField(
        _("minutes between two calls to one customer"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)],
        help_text=_("An automatic call waits this long after the customer's previous call."),
    )
    reoffer_minutes = models.PositiveSmallIntegerField(
        _("minutes before an untouched lead is offered to the next salesperson"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)],
        help_text=_("Counted in opening hours: then the next available salesperson, then the BDC."),
    )
    appointment_days_ahead = models.PositiveSmallIntegerField(
        _("appointments up to this many days ahead"),
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(730)],
        help_text=_("Appointments are offered and accepted from now until then."),
    )
    targets = models.JSONField(_("funnel targets (%)"), default=default_targets)
    lost_reasons = models.JSONField(_("reasons for lost leads"), default=default_lost_reasons)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("dealer")
        verbose_name_plural = _("dealers")
        ordering = ["name"]
        constraints = [
            # A page's Lead Ads notifications belong to exactly one dealer.
            models.UniqueConstraint(
                fields=["meta_page_id"],
                condition=~models.Q(meta_page_id=""),
                name="dealer_unique_meta_page",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def signing_secret(self) -> str:
        """When set, lead webhooks must carry X-LeadFlow-Signature (HMAC-SHA256 of the body)."""
        return secrets_box.decrypt(self.signing_secret_encrypted)

    @signing_secret.setter
    def signing_secret(self, value: str) -> None:
        self.signing_secret_encrypted = secrets_box.encrypt(value)

    @property
    def meta_page_token(self) -> str:
        return secrets_box.decrypt(self.meta_page_token_encrypted)

    @meta_page_token.setter
    def meta_page_token(self, value: str) -> None:
        self.meta_page_token_encrypted = secrets_box.encrypt(value)

    # Compared only: kept as digests, write-only.
    google_key = property(
        None, lambda self, value: setattr(self, "google_key_hash", secrets_box.digest(value))
    )
    meta_verify_token = property(
        None,
        lambda self, value: setattr(self, "meta_verify_token_hash", secrets_box.digest(value)),
    )

    def google_key_matches(self, key: str) -> bool:
        return secrets_box.digest_matches(self.google_key_hash, key)

    def meta_verify_token_matches(self, token: str) -> bool:
        return secrets_box.digest_matches(self.meta_verify_token_hash, token)

    def rotate_signing_secret(self) -> str:
        """A new webhook signing secret; only its ciphertext is kept: show the return value once."""
        secret = secrets.token_urlsafe(32)
        self.signing_secret = secret
        self.save(update_fields=["signing_secret_encrypted"])
        return secret

    def rotate_webhook_token(self) -> str:
        """Issue a new webhook token. Only its hash is kept: show the return value once."""
        token = "lf_" + secrets.token_urlsafe(32)
        self.set_webhook_token(token)
        return token

    def set_webhook_token(self, token: str) -> None:
        self.webhook_token_hash = hash_token(token)
        self.save(update_fields=["webhook_token_hash"])

    def webhook_token_matches(self, token: str) -> bool:
        return bool(self.webhook_token_hash) and hmac.compare_digest(
            self.webhook_token_hash, hash_token(token)
        )

    def is_open(self, when: dt.datetime) -> bool:
        return hours.is_within(self.opening_hours, when, self.tz)

    def is_after_bdc_hour(self, when: dt.datetime) -> bool:
        return hours.local_time(when, self.tz) >= self.bdc_hour

    def routes_to_bdc(self, when: dt.datetime) -> bool:
        """Outside opening hours and after the BDC hour the call centre takes new leads."""
        return not self.is_open(when) or self.is_after_bdc_hour(when)

    def may_contact_customer(self, when: dt.datetime) -> bool:
        return hours.is_within(self.contact_hours, when, self.tz)

    def next_contact_time(self, when: dt.datetime) -> dt.datetime | None:
        return hours.next_within(self.contact_hours, when, self.tz)

    def appointment_window(self, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
        """When an appointment may be set: from this minute to the end of the last allowed day,
        both in the dealer's time zone. The salesperson's form and the customer's booking page
        both ask here."""
        start = now.astimezone(self.tz).replace(second=0, microsecond=0)
        last_day = start.date() + dt.timedelta(days=self.appointment_days_ahead)
        end = dt.datetime.combine(last_day, dt.time(23, 59), tzinfo=self.tz)
        return start, end

    def appointment_refusal(self, at: dt.datetime, now: dt.datetime) -> str | None:
        """Why ``at`` cannot be an appointment (past, too far ahead), or None when it can."""
        start, end = self.appointment_window(now)
        try:
            local = at.astimezone(self.tz)
        except (OverflowError, ValueError):
            local = None  # year 9999 and beyond: far out of any window
        if local is not None and local < start:
            return str(_("The appointment cannot be in the past."))
        if local is None or local > end:
            return str(
                _("Appointments can be booked up to %(days)s days ahead (until %(until)s).")
                % {
                    "days": self.appointment_days_ahead,
                    "until": formats.date_format(end, "SHORT_DATE_FORMAT"),
                }
            )
        return None


class SalespersonQuerySet(models.QuerySet):
    def on_duty_sellers(self) -> SalespersonQuerySet:
        return self.filter(role=Salesperson.Role.SALESPERSON, on_duty=True, user__is_active=True)


class Salesperson(models.Model):
    """A user's place at a dealer: salesperson, manager or BDC agent."""

    class Role(models.TextChoices):
        SALESPERSON = "salesperson", _("Salesperson")
        MANAGER = "manager", _("Manager")
        BDC = "bdc", _("BDC agent")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="salesperson"
    )
    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="staff")
    phone = models.CharField(_("phone (E.164)"), max_length=20, blank=True)
    role = models.CharField(
        _("role"), max_length=16, choices=Role.choices, default=Role.SALESPERSON
    )
    on_duty = models.BooleanField(_("on duty"), default=True)
    working_hours = models.JSONField(
        _("working hours"),
        null=True,
        blank=True,
        validators=[hours.validate_weekly_hours],
        help_text=_("Empty: the dealer's opening hours."),
    )
    # Round-robin position: the on-duty seller with the lowest turn gets the next lead, whose
    # turn then becomes the dealer's highest. A counter, not a timestamp, so two leads in the
    # same microsecond (or under a frozen test clock) still alternate.
    round_robin_turn = models.PositiveBigIntegerField(default=0, editable=False)

    objects = SalespersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("salesperson")
        verbose_name_plural = _("salespeople")
        ordering = ["dealer", "user__username"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.user.get_full_name() or self.user.get_username()

    @property
    def sees_whole_dealer(self) -> bool:
        return self.role in (self.Role.MANAGER, self.Role.BDC)

    def is_working(self, when: dt.datetime) -> bool:
        if not self.on_duty:
            return False
        return hours.is_within(
            self.working_hours or self.dealer.opening_hours, when, self.dealer.tz
        )


class VehicleQuerySet(models.QuerySet):
    def for_dealer(self, dealer: Dealer) -> VehicleQuerySet:
        return self.filter(dealer=dealer)

    def in_stock(self) -> VehicleQuerySet:
        return self.filter(status=Vehicle.Status.AVAILABLE)


class Vehicle(models.Model):
    """One car of a dealer's stock, as the dealer's inventory feed last described it.

    A car is known by its stock number or its VIN (at least one); a feed row finds its car by
    either, so a feed that adds the VIN later updates the same car instead of adding a second.
    """

    class Status(models.TextChoices):
        AVAILABLE = "available", _("Available")
        SOLD = "sold", _("Sold")

    class Condition(models.TextChoices):
        NEW = "new", _("New")
        USED = "used", _("Used")

    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="vehicles")
    stock_number = models.CharField(_("stock number"), max_length=40, blank=True)
    vin = models.CharField(_("VIN"), max_length=17, blank=True)
    make = models.CharField(_("make"), max_length=60, blank=True)
    model = models.CharField(_("model"), max_length=100, blank=True)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    condition = models.CharField(_("new/used"), max_length=4, blank=True, choices=Condition.choices)
    price = models.DecimalField(_("price"), max_digits=10, decimal_places=2, null=True, blank=True)
    mileage_km = models.PositiveIntegerField(_("mileage (km)"), null=True, blank=True)
    listing_url = models.URLField(_("listing URL"), max_length=500, blank=True)
    photo_url = models.URLField(_("photo URL"), max_length=500, blank=True)
    status = models.CharField(
        _("availability"), max_length=10, choices=Status.choices, default=Status.AVAILABLE
    )
    sold_at = models.DateTimeField(_("sold"), null=True, blank=True)
    first_seen_at = models.DateTimeField(_("first in the feed"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    objects = VehicleQuerySet.as_manager()

    class Meta:
        verbose_name = _("vehicle in stock")
        verbose_name_plural = _("inventory")
        ordering = ["dealer", "make", "model", "stock_number"]
        constraints = [
            # The feed's idempotency keys: one car per stock number and per VIN at a dealer.
            models.UniqueConstraint(
                fields=["dealer", "stock_number"],
                condition=~Q(stock_number=""),
                name="vehicle_unique_stock_number",
            ),
            models.UniqueConstraint(
                fields=["dealer", "vin"], condition=~Q(vin=""), name="vehicle_unique_vin"
            ),
            models.CheckConstraint(
                condition=~Q(stock_number="", vin=""), name="vehicle_has_stock_number_or_vin"
            ),
        ]
        indexes = [
            models.Index(fields=["dealer", "status", "make", "model"], name="vehicle_similar"),
            models.Index(fields=["dealer", "status", "price"], name="vehicle_by_price"),
        ]

    def __str__(self) -> str:
        name = " ".join(p for p in (self.make, self.model, str(self.year or "")) if p)
        return f"{name or _('Vehicle')} ({self.stock_number or self.vin})"

    @property
    def is_available(self) -> bool:
        return self.status == self.Status.AVAILABLE


class PushSubscription(models.Model):
    """One browser's Web Push subscription (a phone's installed app, a desktop browser).

    The endpoint is the push service's address for that browser; ``p256dh`` and ``auth`` are the
    browser's keys that every payload is encrypted to. Deleted when the push service says the
    subscription is gone (404/410), so nobody is pushed through a dead device for ever.
    """

    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="+")
    salesperson = models.ForeignKey(
        Salesperson, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=64)
    device = models.CharField(_("device"), max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    last_failure = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("push subscription")
        verbose_name_plural = _("push subscriptions")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.device or self.endpoint[:60]

    @property
    def working(self) -> bool:
        """Delivered at least once and not failing since."""
        if self.last_success_at is None:
            return False
        return self.last_failure_at is None or self.last_failure_at < self.last_success_at

    def mark_delivered(self) -> None:
        self.last_success_at = timezone.now()
        self.save(update_fields=["last_success_at"])

    def mark_failed(self, reason: str) -> None:
        self.last_failure_at = timezone.now()
        self.last_failure = reason[:200]
        self.save(update_fields=["last_failure_at", "last_failure"])
