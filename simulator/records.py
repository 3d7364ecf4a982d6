"""Plain records the policy core decides over; the store reads them from SQL.

Times are seconds since the epoch on the site's clock, so the core never asks what time it is.
"""

from __future__ import annotations

import dataclasses
import enum


class LinkKind(str, enum.Enum):
    INVITATION = "invitation"
    LOGIN = "login"


@dataclasses.dataclass(frozen=True)
class Customer:
    id: int
    site_id: str
    email: str
    first_name: str
    last_name: str
    email_verified: bool = False
    portal_enabled: bool = False
    has_password: bool = False
    invite_last_sent_at: float | None = None
    invite_last_accepted_at: float | None = None

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@dataclasses.dataclass(frozen=True)
class EmailLink:
    """An invitation or login link: the token itself is never stored, only its hash."""

    kind: LinkKind
    customer_id: int
    created_at: float
    used_at: float | None = None
    revoked_at: float | None = None


@dataclasses.dataclass(frozen=True)
class ManagementLink:
    id: int
    customer_id: int
    created_at: float
    fetch_count: int = 0
    revoked_at: float | None = None


@dataclasses.dataclass(frozen=True)
class Session:
    customer_id: int
    device: str  # hash of the device cookie
    created_at: float
    last_seen_at: float
