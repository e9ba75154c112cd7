"""The one contact policy: may LeadFlow contact this person, on this channel, now?

Stable names other code may rely on:

Person key (``followup.policy.person``)
    ``person_key(*, dealer, phone=None, email=None) -> PersonKey`` — HMAC-SHA256 under
    ``settings.LEADFLOW_PERSON_KEY`` of the E.164 phone (parsed in ``dealer.country``) and of
    the lower-cased email; ``PersonKey.phone_hash`` / ``.email_hash`` / ``.hashes``.
    ``normalise_phone(phone, *, region)``, ``normalise_email(email)``.

Suppression list (``followup.policy.suppression``; model ``followup.policy.models.Suppression``)
    ``suppression_add(*, dealer, phone=None, email=None, channels=ALL_CHANNELS, reason, source,
    by=None, at=None, key=None) -> int`` — idempotent; writes an entry per identifier and
    channel; returns how many are new. ``reason`` is a ``SuppressionReason`` ("opt_out",
    "withdrawn", "complaint", "erasure"), ``source`` a ``SuppressionSource`` ("stop_keyword",
    "unsubscribe_link", "provider", "esp_complaint", "salesperson", "confirmed_refusal",
    "erasure", "admin"). An erasure calls it with ``reason="erasure", source="erasure"``
    before deleting the person's data: the entry holds no personal data and outlives it.
    ``suppression_check(*, dealer, channel, phone=None, email=None, key=None)
    -> Suppression | None``; ``suppression_channels(*, dealer, phone=None, email=None, key=None)
    -> dict[channel, Suppression]``; ``suppression_lift(*, dealer, phone=None, email=None,
    channels=ALL_CHANNELS, by, reason, key=None) -> int``.
    Channels: ``ContactChannel`` ("phone", "sms", "whatsapp", "email"), ``ALL_CHANNELS``.

Import the functions from their modules (this package's ``__init__`` imports no models, so it
is safe to import from anywhere at any time).
"""
