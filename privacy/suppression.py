"""The erased person's entry on the contact policy's suppression list (followup/policy)."""

from __future__ import annotations

from dealers.models import Dealer
from privacy.identity import Person
from privacy.models import ErasureReceipt


def person_suppress(*, dealer: Dealer, person: Person, receipt: ErasureReceipt) -> bool:
    """Write the hashed suppression entry, so a later inquiry is stored but never contacted."""
    return False
