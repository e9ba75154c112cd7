"""The erased person's entry on the contact policy's suppression list (followup/policy)."""

from __future__ import annotations

from dealers.models import Dealer
from followup.policy.suppression import suppression_add
from privacy.identity import Person
from privacy.models import ErasureReceipt


def person_suppress(*, dealer: Dealer, person: Person, receipt: ErasureReceipt) -> bool:
    """Write the hashed suppression entries, on every channel, for every number and address
    the person used, so a later inquiry from them is stored but never contacted."""
    del receipt  # the receipt names the erasure; the entries need nothing from it
    identifiers: list[tuple[str | None, str | None]] = [(phone, None) for phone in person.phones]
    identifiers += [(None, email) for email in person.emails]
    for phone, email in identifiers:
        suppression_add(dealer=dealer, phone=phone, email=email, reason="erasure", source="erasure")
    return bool(identifiers)
