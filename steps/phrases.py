"""The words steps share: who, whose, which device. Pronouns refer to the customer last named."""

from __future__ import annotations

from pytest_bdd import parsers

WHO = r"(?P<who>[A-Z][a-z]+|she|he|they)"
WHOSE = r"(?:her|his|their)"
DEVICE = r"(?P<device>laptop|phone|tablet)"

UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def phrase(pattern: str) -> parsers.re:
    """A step pattern in plain words with {WHO}, {WHOSE} and {DEVICE} standing for those parts."""
    return parsers.re(pattern.format(WHO=WHO, WHOSE=WHOSE, DEVICE=DEVICE))


def seconds(amount: str, unit: str) -> int:
    return int(amount) * UNITS[unit.rstrip("s")]
