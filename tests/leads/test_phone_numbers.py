from __future__ import annotations

import pytest

from leads.phones import normalize_phone


@pytest.mark.parametrize(
    ("written", "region", "e164"),
    [
        ("0171 1234567", "DE", "+491711234567"),
        ("+49 (0)171 1234567", "DE", "+491711234567"),
        ("0049 171 1234567", "DE", "+491711234567"),
        ("06-12345678", "NL", "+31612345678"),
        ("0470 12 34 56", "BE", "+32470123456"),
        ("(212) 555-0142", "US", "+12125550142"),
        ("+31 6 12345678", "DE", "+31612345678"),
    ],
)
def test_numbers_as_people_write_them_become_e164(written, region, e164):
    assert normalize_phone(written, region) == e164


@pytest.mark.parametrize(
    ("written", "region"),
    [
        ("12", "DE"),
        ("hello", "DE"),
        ("0171", "DE"),
        ("555-0142", "US"),
        ("", "DE"),
    ],
)
def test_numbers_that_are_no_number_say_so(written, region):
    with pytest.raises(ValueError, match="phone number"):
        normalize_phone(written, region)
