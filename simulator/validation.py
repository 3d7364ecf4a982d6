"""Checks on what comes in from outside: one clear sentence for each thing that is wrong."""

from __future__ import annotations

import re
from typing import Any

MAX_EMAIL = 254
MAX_NAME = 100
MAX_PASSWORD = 256
MIN_PASSWORD = 8

_EMAIL_RE = re.compile(r"[^@\s\x00-\x1f\x7f]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


class InvalidInput(ValueError):
    """Bad input from a request: `code` for machines, the message for people."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def email_address(value: Any, *, field: str = "email") -> str:
    if not isinstance(value, str):
        raise InvalidInput("invalid_email", f"{field} must be a string holding an email address")
    if len(value) > MAX_EMAIL:
        raise InvalidInput("invalid_email", f"{field} is longer than {MAX_EMAIL} characters")
    if _EMAIL_RE.fullmatch(value) is None:
        raise InvalidInput("invalid_email", f"{field} is not a valid email address: {value[:80]!r}")
    return value


def text(value: Any, *, field: str, max_length: int = MAX_NAME) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("invalid_field", f"{field} must be a non-empty string")
    if len(value) > max_length:
        raise InvalidInput("invalid_field", f"{field} is longer than {max_length} characters")
    if _CONTROL_RE.search(value):
        raise InvalidInput("invalid_field", f"{field} may not contain control characters (CR, LF, ...)")
    return value.strip()


def password(value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidInput("invalid_password", "password must be a string")
    if not MIN_PASSWORD <= len(value) <= MAX_PASSWORD:
        raise InvalidInput(
            "invalid_password",
            f"password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters long",
        )
    if "\x00" in value:
        raise InvalidInput("invalid_password", "password may not contain NUL characters")
    return value
