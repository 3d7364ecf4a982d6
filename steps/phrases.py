"""The words steps share: who, whose, which device. Pronouns refer to the customer last named."""

from __future__ import annotations

from pytest_bdd import parsers

WHO = r"(?P<who>[A-Z][a-z]+|she|he|they)"
WHOSE = r"(?:her|his|their)"
DEVICE = r"(?P<device>laptop|phone|tablet)"
# What each placeholder stands for, in words, for the step catalogue.
SPELLED_OUT = {
    "{WHO}": "a customer by name (Ada, Ben, Cleo, Dev…) or the one last named (she, he, they)",
    "{WHOSE}": "her, his or their",
    "{DEVICE}": "laptop, phone or tablet",
}

UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


class Phrase(parsers.re):
    """A step pattern that remembers how it was written, placeholders and all (`template`)."""

    def __init__(self, template: str) -> None:
        super().__init__(template.format(WHO=WHO, WHOSE=WHOSE, DEVICE=DEVICE))
        self.template = template


def phrase(pattern: str) -> Phrase:
    """A step pattern in plain words with {WHO}, {WHOSE} and {DEVICE} standing for those parts."""
    return Phrase(pattern)


def seconds(amount: str, unit: str) -> int:
    return int(amount) * UNITS[unit.rstrip("s")]
