"""SMTP AUTH (PLAIN and LOGIN) as a relay does it: aiosmtpd authenticators.

aiosmtpd decodes both mechanisms into a ``LoginPassword`` and calls the
authenticator; a failure it answers with 535 5.7.8.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

__all__ = ["AcceptAny", "Passwords", "parse_credentials"]


class AcceptAny:
    """Any user name and password will do (Mailpit's ``--smtp-auth-accept-any``)."""

    def __call__(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        return AuthResult(success=True, auth_data=auth_data.login.decode("utf-8", "replace"))


class Passwords:
    """Only these users, each with its password."""

    def __init__(self, users: Mapping[str, str]) -> None:
        if not users:
            raise ValueError("AUTH needs at least one USER:PASSWORD")
        self._users = {user.encode(): password.encode() for user, password in users.items()}

    def __call__(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        expected = self._users.get(auth_data.login)
        # Compare even for an unknown user, so timing does not tell users apart.
        matches = hmac.compare_digest(expected or b"\0", auth_data.password) and expected is not None
        if not matches:
            return AuthResult(success=False, handled=False)
        return AuthResult(success=True, auth_data=auth_data.login.decode("utf-8", "replace"))


def parse_credentials(text: str) -> tuple[str, str]:
    """``USER:PASSWORD`` (the password may hold colons; neither part may be empty)."""
    user, sep, password = text.partition(":")
    if not sep or not user or not password:
        raise ValueError(f"expected USER:PASSWORD, got {text!r}")
    return user, password
