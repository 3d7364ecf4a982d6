"""Checks on what comes in from outside: one clear sentence for each thing that is wrong."""

from __future__ import annotations

import re
from typing import Any

MAX_EMAIL = 254
MAX_NAME = 100
MAX_PASSWORD = 256
MIN_PASSWORD = 8

# The local part is an ASCII dot-atom (RFC 5322): anything else (commas, comments, quotes,
# non-ASCII) cannot go into a To header or an SMTP RCPT unchanged, so it is refused here.
# The pieces are public so that the OpenAPI document states the very same patterns.
EMAIL_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
EMAIL_DOMAIN = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+"
_EMAIL_RE = re.compile(rf"(?=[^@]{{1,64}}@){EMAIL_ATOM}(?:\.{EMAIL_ATOM})*@{EMAIL_DOMAIN}")
# A name is one line of text: no C0 or C1 control characters (CR, LF, NEL, ...) nor Unicode's
# line and paragraph separators (what goes inside a regex's [...]).
NOT_IN_A_LINE = r"\x00-\x1f\x7f-\x9f\u2028\u2029"
_CONTROL_RE = re.compile(rf"[{NOT_IN_A_LINE}]")
# JSON's "\ud800" escapes decode to lone UTF-16 surrogates: Python holds them in a str, but no
# UTF-8 encoder (SQLite, argon2, a response) can write them, so they are refused at the door.
_SURROGATE_RE = re.compile(r"[\ud800-\udfff]")
_ID_RE = re.compile(r"[0-9]{1,18}")


class InvalidInput(ValueError):
    """Bad input from a request: `code` for machines, the message for people."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def record_id(value: str) -> int | None:
    """An id from a URL or a cookie: ASCII digits that fit SQLite's integer, else None.

    `str.isdigit` is not enough: it accepts "²", which `int` refuses, and any length.
    """
    return int(value) if _ID_RE.fullmatch(value) else None


def is_unicode_text(value: str) -> bool:
    """Can `value` be written as UTF-8? False when it holds a lone surrogate."""
    return _SURROGATE_RE.search(value) is None


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
        raise InvalidInput("invalid_field", f"{field} must be one line, without control characters (CR, LF, ...)")
    if not is_unicode_text(value):
        raise InvalidInput("invalid_field", f"{field} must be Unicode text (it holds a lone UTF-16 surrogate)")
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
    if not is_unicode_text(value):
        raise InvalidInput("invalid_password", "password must be Unicode text (it holds a lone UTF-16 surrogate)")
    return value
