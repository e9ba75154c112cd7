"""What an erasure did, kept as the dealer's proof (GDPR Art. 17 and 5(2))."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealers.models import Dealer


class ErasureReceipt(models.Model):
    """When, who, what counts. Holds no personal data: the person is named by a keyed hash."""

    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(_("erased at"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    by_name = models.CharField(_("erased by"), max_length=150)
    via = models.CharField(_("via"), max_length=20)
    # HMAC of the normalised phone and email: answers "was this person erased?" without them.
    subject_hashes = models.JSONField(default=list)
    searched_phone = models.BooleanField(default=False)
    searched_email = models.BooleanField(default=False)
    lead_ids = models.JSONField(_("leads anonymised"), default=list)
    counts = models.JSONField(_("what was removed"), default=dict)
    suppressed = models.BooleanField(_("suppression entry written"), default=False)
    # Twilio keeps call logs and message bodies of its own: they are deleted after the commit.
    # Only the SIDs are kept here until Twilio confirmed; they name records, not the person.
    provider_pending = models.JSONField(default=list, blank=True)
    provider_deleted = models.PositiveIntegerField(default=0)
    provider_failed = models.JSONField(default=list, blank=True)
    provider_done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("erasure receipt")
        verbose_name_plural = _("erasure receipts")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(
                fields=["at"],
                condition=models.Q(provider_done_at__isnull=True),
                name="erasure_provider_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.dealer_id} erasure {self.pk} @ {self.at:%Y-%m-%d %H:%M}"

    @property
    def total(self) -> int:
        return sum(int(v) for v in self.counts.values())
