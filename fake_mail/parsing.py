"""Reading raw mail bytes with the stdlib ``email`` package.

Two steps, so a reader pays only for what it asks: :func:`parse_head` reads
the header block (subject, addresses), :func:`parse_body` the MIME tree
(text, HTML, parts, links).  Neither raises: what cannot be read is reported
in ``errors`` and the rest is read as well as it can be.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from email import errors as email_errors
from email import policy
from email.message import EmailMessage
from email.message import Message as MimePart
from email.parser import BytesHeaderParser, BytesParser

from fake_mail.links import Link, find_links

__all__ = ["Body", "Head", "Headers", "Part", "parse_body", "parse_head"]

_POLICY = policy.default
_FOLD = re.compile(r"\r\n|\r|\n")
_SURROGATES = re.compile("[\udc80-\udcff]")
# A UTF-8 local part is what SMTPUTF8 (RFC 6531/6532) exists for, not a defect.
_UTF8_ADDRESS = email_errors.NonASCIILocalPartDefect


class Headers(Mapping[str, str]):
    """Decoded headers in their order; names match case-insensitively.

    As a mapping it gives the first value of a repeated header; ``getlist``
    and ``multi_items`` give all of them (as Starlette's ``Headers`` do).
    """

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items = tuple(items)

    def __getitem__(self, name: str) -> str:
        wanted = name.lower()
        for key, value in self._items:
            if key.lower() == wanted:
                return value
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        seen: set[str] = set()
        for key, _ in self._items:
            if key.lower() not in seen:
                seen.add(key.lower())
                yield key

    def __len__(self) -> int:
        return len({key.lower() for key, _ in self._items})

    def getlist(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self._items if key.lower() == wanted]

    def multi_items(self) -> list[tuple[str, str]]:
        return list(self._items)

    def __repr__(self) -> str:
        return f"Headers({list(self._items)!r})"


@dataclass(frozen=True, slots=True)
class Head:
    """What the header block says."""

    subject: str
    from_: str | None
    to: tuple[str, ...]
    cc: tuple[str, ...]
    headers: Headers
    errors: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Part:
    """One leaf of the MIME tree."""

    content_type: str
    charset: str | None
    disposition: str | None
    filename: str | None
    size: int


@dataclass(frozen=True, slots=True)
class Body:
    """What the MIME tree holds."""

    text: str | None
    html: str | None
    links: tuple[Link, ...]
    parts: tuple[Part, ...]
    errors: tuple[str, ...]


def parse_head(raw: bytes) -> Head:
    """Decode the headers of ``raw`` (RFC 2047 words and raw UTF-8 alike)."""
    errors: list[str] = []
    decoded: list[tuple[str, str]] = []
    addresses: dict[str, list[str]] = {"from": [], "to": [], "cc": []}
    try:
        source = BytesHeaderParser(policy=_POLICY).parsebytes(raw).raw_items()
    except Exception as error:  # the parser is lenient; this is a last resort
        return Head("", None, (), (), Headers(), (_describe(error, "headers"),))
    for name, value in source:
        value = _FOLD.sub("", _utf8(value))
        try:
            header = _POLICY.header_factory(name, value)
            text = str(header)
            errors.extend(
                f"{name} header: {_defect(defect)}"
                for defect in header.defects
                if not isinstance(defect, _UTF8_ADDRESS)
            )
            if name.lower() in addresses:
                addresses[name.lower()].extend(address.addr_spec for address in header.addresses)
        except Exception as error:  # e.g. IndexError on "To: a@" in 3.11
            errors.append(_describe(error, f"{name} header"))
            text = value
        decoded.append((name, text))
    headers = Headers(decoded)
    senders = addresses["from"]
    return Head(
        subject=headers.get("subject", ""),
        from_=senders[0] if senders else None,
        to=tuple(addresses["to"]),
        cc=tuple(addresses["cc"]),
        headers=headers,
        errors=tuple(errors),
    )


def parse_body(raw: bytes) -> Body:
    """Read the MIME tree of ``raw``: text and HTML bodies, leaves, links."""
    try:
        mail = BytesParser(policy=_POLICY).parsebytes(raw)
        assert isinstance(mail, EmailMessage)
        errors: list[str] = []
        parts: list[Part] = []
        for part in mail.walk():
            if not part.is_multipart():
                # Decoding first: bad base64 is found, and noted, when decoded.
                parts.append(_describe_part(part))
            errors.extend(f"{part.get_content_type()}: {_defect(d)}" for d in part.defects)
        text = _body_text(mail, "plain", errors)
        html = _body_text(mail, "html", errors)
        if text is None and html is None and errors:
            # A tree too broken to hold a body: show what follows the headers.
            text = _after_headers(raw)
        links = find_links(text, html)
    except Exception as error:
        return Body(None, None, (), (), (_describe(error, "MIME structure"),))
    return Body(text, html, tuple(links), tuple(parts), tuple(errors))


def _body_text(mail: EmailMessage, subtype: str, errors: list[str]) -> str | None:
    part = mail.get_body(preferencelist=(subtype,))
    if part is None:
        return None
    try:
        content = part.get_content()
    except LookupError:  # an unknown charset: say so, and read it as UTF-8
        charset = part.get_content_charset()
        errors.append(f"text/{subtype}: unknown charset {charset!r}, read as UTF-8")
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            return None
        return _unix_newlines(payload.decode("utf-8", "replace"))
    return _unix_newlines(content) if isinstance(content, str) else None


def _describe_part(part: MimePart) -> Part:
    payload = part.get_payload(decode=True)
    return Part(
        content_type=part.get_content_type(),
        charset=part.get_content_charset(),
        disposition=part.get_content_disposition(),
        filename=part.get_filename(),
        size=len(payload) if isinstance(payload, bytes) else 0,
    )


def _utf8(value: str) -> str:
    # The bytes parser keeps non-ASCII header bytes as surrogate escapes;
    # RFC 6532 (SMTPUTF8) says those bytes are UTF-8.
    if _SURROGATES.search(value) is None:
        return value
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _after_headers(raw: bytes) -> str:
    for blank_line in (b"\r\n\r\n", b"\n\n"):
        _, found, body = raw.partition(blank_line)
        if found:
            return _unix_newlines(body.decode("utf-8", "replace"))
    return _unix_newlines(raw.decode("utf-8", "replace"))


def _unix_newlines(text: str) -> str:
    return text.replace("\r\n", "\n")


def _defect(defect: Exception) -> str:
    return f"{type(defect).__name__}: {defect}" if str(defect) else type(defect).__name__


def _describe(error: Exception, where: str) -> str:
    return f"{where}: {type(error).__name__}: {error}"
