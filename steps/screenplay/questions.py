"""Questions: what an actor can find out, answered through the contract only."""

from __future__ import annotations

import dataclasses
import math
import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .abilities import BrowseOnDevices, ReadMailbox
from .devices import PageState
from .actors import Actor
from .tasks import site_of


@dataclasses.dataclass(frozen=True)
class WhatTheDeviceShows:
    """The page state of a device, judged live.

    A page in a browser is a snapshot: when the device shows the account on a page drawn before
    the last change through the control API (time passing, a revocation, a policy change), the
    page is loaded again first, so the answer says whether the session holds now.
    """

    on: str

    def answered_by(self, actor: Actor) -> PageState:
        device = actor.ability_to(BrowseOnDevices).device(self.on)
        state = device.state()
        if state is PageState.ACCOUNT and device.stale:
            # The home page, not this page's address again: a reload could post a form again, and
            # a portal that leaves a token in the address bar (SEC-3) would have it used twice.
            browsing = actor.ability_to(BrowseOnDevices)
            device.open(browsing.page_url("home"))
            state = device.state()
        return state


@dataclasses.dataclass(frozen=True)
class TheAccountShown:
    """The text of the account a device shows (empty when it shows none)."""

    on: str

    def answered_by(self, actor: Actor) -> str:
        device = actor.ability_to(BrowseOnDevices).device(self.on)
        if actor.asks(WhatTheDeviceShows(self.on)) is not PageState.ACCOUNT:
            return ""
        return device.selector("signed_in_customer").first.inner_text()


@dataclasses.dataclass(frozen=True)
class TheCustomerRecord:
    """The merchant's view of a customer, from the control API."""

    customer: Actor

    def answered_by(self, actor: Actor) -> dict[str, Any]:
        return site_of(actor).customer(self.customer.recall("customer")["id"])


@dataclasses.dataclass(frozen=True)
class TheAnswerText:
    """What a device shows now, as a person reads it, with the given words masked out."""

    on: str
    masking: tuple[str, ...] = ()

    def answered_by(self, actor: Actor) -> str:
        text = actor.ability_to(BrowseOnDevices).device(self.on).page.locator("body").inner_text()
        for word in self.masking:
            text = re.sub(re.escape(word), "<address>", text, flags=re.IGNORECASE)
        return " ".join(text.split())


@dataclasses.dataclass(frozen=True)
class TheLinkTokens:
    """The secret part of every portal link in the customer's emails (see `link_token`)."""

    actions_only: bool = False

    def answered_by(self, actor: Actor) -> list[str]:
        mailbox = actor.ability_to(ReadMailbox)
        profile = mailbox.profile
        patterns = [kind.action_link for kind in profile.emails.values() if kind.action_link]
        if not self.actions_only:
            patterns.append(profile.management_url)
        tokens = []
        for message in mailbox.mailbox.messages():
            for link in message.links:
                pattern = next((pattern for pattern in patterns if pattern.search(link.url)), None)
                if pattern is not None:
                    tokens.append(link_token(link.url, pattern))
        return tokens


def link_token(url: str, pattern: re.Pattern[str] | None) -> str:
    """The secret part of a portal link: the profile pattern's `token` group where it has one,
    else a guess, the longest component of the URL."""
    found = pattern.search(url) if pattern is not None and "token" in pattern.groupindex else None
    if found is not None and found.group("token"):
        return found.group("token")
    return longest_component(url)


def longest_component(url: str) -> str:
    parts = urlsplit(url)
    candidates = [segment for segment in parts.path.split("/") if segment]
    candidates += [value for _, value in parse_qsl(parts.query)]
    return max(candidates, key=len, default="")


def entropy_bits(token: str) -> float:
    """A generous estimate of a random token's bits from its length and alphabet."""
    if re.fullmatch(r"[0-9a-fA-F]+", token):
        alphabet = 16
    elif re.fullmatch(r"[0-9A-Za-z]+", token):
        alphabet = 62
    else:
        alphabet = 64 if re.fullmatch(r"[0-9A-Za-z_\-+/=.~]+", token) else 95
    return len(token) * math.log2(alphabet)
