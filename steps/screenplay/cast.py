"""The cast of a scenario: the merchant and the customers, each with a faker identity."""

from __future__ import annotations

import secrets
from pathlib import Path

from faker import Faker
from playwright.sync_api import Browser

from fake_mail import MailSink
from portalcheck.control import SiteControl
from portalcheck.profile import Profile

from .abilities import BrowseOnDevices, ControlTheSite, ReadMailbox
from .actors import Actor, release_each

PRONOUNS = {"she": "she", "her": "she", "he": "he", "him": "he", "his": "he", "they": "they", "their": "they"}
PERSONAS = {"Ada": "she", "Ben": "he", "Cleo": "she", "Dev": "they"}


class Cast:
    """Everyone in one scenario. Customers are registered with the site on first mention."""

    def __init__(self, *, site: SiteControl, browser: Browser, profile: Profile, sink: MailSink, faker: Faker) -> None:
        self.site = site
        self._browser = browser
        self._profile = profile
        self._sink = sink
        self._faker = faker
        self.merchant = Actor("the merchant").who_can(ControlTheSite(site))
        self._customers: dict[str, Actor] = {}
        self._spotlight: Actor | None = None
        self._someone: Actor | None = None

    def __getitem__(self, who: str) -> Actor:
        """A customer by name ("Ada") or by pronoun ("she", "her": the last one named)."""
        if who.lower() in PRONOUNS:
            if self._spotlight is None:
                raise LookupError(f"{who!r} refers to nobody: no customer was named yet")
            return self._spotlight
        if who not in self._customers:
            self._customers[who] = self._register(who)
        self._spotlight = self._customers[who]
        return self._spotlight

    def _control_calls(self) -> int:
        return len(self.site.client.calls)

    def spotlight(self, actor: Actor) -> Actor:
        """Make `actor` the one "she" and "her" refer to from now on."""
        self._spotlight = actor
        return actor

    def stranger(self) -> Actor:
        """Someone with an address the portal has never seen, and a mailbox to prove it."""
        email = self._unique_email("stranger")
        actor = Actor("a stranger").who_can(
            BrowseOnDevices(self._browser, self._profile, self.site.portal_url, self._control_calls),
            ReadMailbox(self._sink.mailbox(email), self._profile),
        )
        actor.remember("customer", {"email": email, "id": None})
        self._customers[f"stranger {email}"] = actor
        self._someone = actor
        return actor

    @property
    def someone(self) -> Actor:
        """The stranger made last: the one "someone" refers to in the steps after."""
        if self._someone is None:
            raise LookupError("'someone' refers to nobody: no stranger has acted yet")
        return self._someone

    def _register(self, name: str) -> Actor:
        last_name = self._faker.last_name()
        email = self._unique_email(f"{name}.{last_name}")
        record = self.site.add_customer(email, name, last_name)
        actor = Actor(name, pronoun=PERSONAS.get(name, "they")).who_can(
            BrowseOnDevices(self._browser, self._profile, self.site.portal_url, self._control_calls),
            ReadMailbox(self._sink.mailbox(email), self._profile),
        )
        # CONTRACT v1 promises only the id in the answer: what the suite sent fills in the rest.
        actor.remember("customer", {"email": email, "first_name": name, "last_name": last_name} | record)
        return actor

    def _unique_email(self, local: str) -> str:
        # Unique across parallel runs, so one sink can serve every scenario without mixing mail.
        local = "".join(ch for ch in local.lower() if (ch.isascii() and ch.isalnum()) or ch == ".")
        return f"{local}.{secrets.token_hex(4)}@{self._faker.safe_domain_name()}"

    @property
    def actors(self) -> list[Actor]:
        return [self.merchant, *self._customers.values()]

    def save_evidence(self, folder: Path) -> list[Path]:
        folder.mkdir(parents=True, exist_ok=True)
        saved = [self.site.client.save_calls(folder / "control-calls.jsonl")]
        for actor in self._customers.values():
            prefix = actor.name.replace(" ", "-")
            for kind in (BrowseOnDevices, ReadMailbox):
                if actor.can(kind):
                    saved += actor.ability_to(kind).save_evidence(folder, prefix)
        return saved

    def dismiss(self) -> None:
        release_each(self.actors, Actor.forget)
