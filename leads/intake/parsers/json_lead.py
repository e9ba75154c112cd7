from __future__ import annotations

import json
from typing import Any

from leads.intake.parsers import PayloadError


def parse_json_lead(body: bytes) -> dict[str, Any]:
    """LeadFlow's own JSON lead: already canonical, so only decode and check it is an object."""
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise PayloadError(f"body is not UTF-8: {exc.reason} at byte {exc.start}") from exc
    except json.JSONDecodeError as exc:
        raise PayloadError(
            f"body is not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from exc
    except (RecursionError, ValueError) as exc:
        # Pathological nesting, or an integer longer than Python converts by default.
        raise PayloadError(
            "body is not readable JSON: nested too deeply or a number too long"
        ) from exc
    if not isinstance(data, dict):
        raise PayloadError("body must be a JSON object")
    return data
