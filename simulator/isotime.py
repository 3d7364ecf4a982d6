"""Site times on the wire: ISO 8601 UTC, as CONTRACT v1 has them."""

from __future__ import annotations

import datetime


def iso8601(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    moment = datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
