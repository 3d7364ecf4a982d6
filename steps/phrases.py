"""The words steps share: who, whose, which device. Pronouns refer to the customer last named."""

from __future__ import annotations

import itertools
import re

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
    """A step pattern that remembers how it was written, placeholders and all (`template`).
    A second {DEVICE} in one step is the argument `device_2` (a third `device_3`)."""

    def __init__(self, template: str) -> None:
        nth = itertools.count(1)
        numbered = re.sub(r"\{DEVICE\}", lambda _: _device(next(nth)), template)
        super().__init__(numbered.format(WHO=WHO, WHOSE=WHOSE))
        self.template = template


def _device(nth: int) -> str:
    return DEVICE if nth == 1 else DEVICE.replace("<device>", f"<device_{nth}>")


def phrase(pattern: str) -> Phrase:
    """A step pattern in plain words with {WHO}, {WHOSE} and {DEVICE} standing for those parts."""
    return Phrase(pattern)


def seconds(amount: str, unit: str) -> int:
    return int(amount) * UNITS[unit.rstrip("s")]
