"""A site's clock: the wall clock plus an offset that only grows, within bounds that keep every
time the site shows a date ISO 8601 can write.

Python's `datetime` ends at year 9999. A site's clock stops at `LATEST` (year 9000), and no policy
duration exceeds 100 years, so a site time plus any duration (an expiry, a refresh) stays a date.
"""

from __future__ import annotations

import datetime

from .policy import DURATION_MAX_S
from .validation import InvalidInput

MAX_STEP_S = DURATION_MAX_S  # one advance: at most 100 years
LATEST = datetime.datetime(9000, 1, 1, tzinfo=datetime.timezone.utc).timestamp()
LATEST_TEXT = "9000-01-01T00:00:00Z"


def step(seconds: object) -> float:
    """`seconds` as one advance of a clock, or InvalidInput saying why it cannot be one."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise InvalidInput("invalid_seconds", "seconds must be a number above 0 (a site's clock never goes back)")
    if not seconds > 0:  # NaN too
        raise InvalidInput("invalid_seconds", "seconds must be a number above 0 (a site's clock never goes back)")
    if seconds > MAX_STEP_S:  # Infinity too
        raise InvalidInput("invalid_seconds", f"seconds may be at most {MAX_STEP_S} (100 years)")
    return float(seconds)


def past_latest(now: float, seconds: float) -> InvalidInput:
    """The refusal of an advance that would move a clock showing `now` past `LATEST`."""
    return InvalidInput(
        "invalid_seconds",
        f"the site's clock may not pass {LATEST_TEXT}; it can advance at most {max(LATEST - now, 0):.0f}"
        f" more seconds, not {seconds:.0f}",
    )
