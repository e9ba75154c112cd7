from __future__ import annotations

from django.dispatch import Signal

# Sent inside the intake transaction when a lead arrives (``repeat=False``) or a known customer
# asks again (``repeat=True``). Arguments: ``lead``. The follow-up engine answers it and enqueues
# its work on commit; ``leads`` never imports ``followup``.
lead_received = Signal()
