"""What actors can do: browse on their devices, read their mailbox, control the test site."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from playwright.sync_api import Browser

from fake_mail import Mailbox, Message
from portalcheck.control import SiteControl
from portalcheck.profile import Profile

from .actors import Actor, release_each
from .devices import Device, new_device


class BrowseOnDevices:
    """A customer's devices ("laptop", "phone"), each a fresh browser context, made on first use."""

    def __init__(self, browser: Browser, profile: Profile, portal_url: str,
                 changes: Callable[[], int] = lambda: 0) -> None:
        self._browser = browser
        self.profile = profile
        self.portal_url = portal_url.rstrip("/")
        self._changes = changes
        self.devices: dict[str, Device] = {}

    def device(self, name: str) -> Device:
        if name not in self.devices:
            self.devices[name] = new_device(name, self._browser, self.profile, self._changes)
        return self.devices[name]

    def page_url(self, page: str) -> str:
        return self.portal_url + self.profile.pages[page]

    def save_evidence(self, folder: Path, prefix: str) -> list[Path]:
        return [path for device in self.devices.values() for path in device.save_evidence(folder, prefix)]

    def forget(self) -> None:
        devices, self.devices = list(self.devices.values()), {}
        release_each(devices, Device.close)


class ReadMailbox:
    """A customer's mailbox at the sink; tells emails apart by the profile's patterns."""

    def __init__(self, mailbox: Mailbox, profile: Profile) -> None:
        self.mailbox = mailbox
        self.profile = profile

    def of_kind(self, kind: str) -> list[Message]:
        return self.mailbox.messages(subject=self.profile.emails[kind].subject.pattern)

    def wait_for(self, kind: str, *, after: int | None) -> Message:
        return self.mailbox.wait_for(
            subject=self.profile.emails[kind].subject.pattern, after=after, timeout=self.profile.mail_timeout_s
        )

    def expect_none(self, kind: str, *, after: int | None) -> None:
        self.mailbox.expect_none(
            subject=self.profile.emails[kind].subject.pattern, after=after, within=self.profile.mail_quiet_s
        )

    def cursor(self) -> int:
        return self.mailbox.cursor()

    def save_evidence(self, folder: Path, prefix: str) -> list[Path]:
        return [
            message.save_eml(folder / f"{prefix}-mail-{index:02d}.eml")
            for index, message in enumerate(self.mailbox.messages(), start=1)
        ]

    def forget(self) -> None:
        """The mailbox view holds nothing to release; other scenarios never share the address."""


class ControlTheSite:
    """The merchant's hold on the test site, through the control API."""

    def __init__(self, site: SiteControl) -> None:
        self.site = site

    def forget(self) -> None:
        """The site itself is deleted by the fixture that made it."""


def device_of(actor: Actor, name: str) -> Device:
    """One of the actor's devices ("laptop", "phone"), made on first use."""
    return actor.ability_to(BrowseOnDevices).device(name)


def site_of(merchant: Actor) -> SiteControl:
    """The test site the merchant controls."""
    return merchant.ability_to(ControlTheSite).site
