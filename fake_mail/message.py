"""A received mail: envelope and raw bytes, read lazily on first access."""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path

from fake_mail.links import Link
from fake_mail.parsing import Body, Head, Headers, Part, parse_body, parse_head

__all__ = ["Link", "Message", "Part"]


class Message:
    """One mail as the sink received it.

    The envelope (``mail_from``, ``rcpt_tos``) and ``raw`` bytes are set on
    arrival.  Everything read from the bytes is parsed on first access and
    kept: headers when a header is asked for, the MIME tree when a body, link
    or ``parse_error`` is.  Parsing is a pure function of ``raw``, so two
    threads reading at once at worst parse twice and keep equal results.
    """

    __slots__ = ("id", "seq", "received_at", "mail_from", "rcpt_tos", "raw", "_head", "_body")

    def __init__(
        self,
        *,
        id: str,
        seq: int,
        received_at: datetime,
        mail_from: str,
        rcpt_tos: list[str],
        raw: bytes,
    ) -> None:
        self.id = id
        self.seq = seq
        self.received_at = received_at
        self.mail_from = mail_from
        self.rcpt_tos = rcpt_tos
        self.raw = raw
        self._head: Head | None = None
        self._body: Body | None = None

    # -- from the header block -------------------------------------------------

    @property
    def subject(self) -> str:
        """The decoded subject ("" when there is none)."""
        return self._parsed_head().subject

    @property
    def from_(self) -> str | None:
        """The first address of the From header."""
        return self._parsed_head().from_

    @property
    def to(self) -> list[str]:
        """The addresses of the To header (the envelope's are ``rcpt_tos``)."""
        return list(self._parsed_head().to)

    @property
    def cc(self) -> list[str]:
        return list(self._parsed_head().cc)

    @property
    def headers(self) -> Headers:
        """Decoded headers, in order; names match case-insensitively."""
        return self._parsed_head().headers

    # -- from the MIME tree ----------------------------------------------------

    @property
    def text(self) -> str | None:
        """The plain-text body, decoded, with ``\\n`` line ends."""
        return self._parsed_body().text

    @property
    def html(self) -> str | None:
        """The HTML body, decoded, with ``\\n`` line ends."""
        return self._parsed_body().html

    @property
    def links(self) -> list[Link]:
        """HTML anchors with their text, then bare URLs of the text body."""
        return list(self._parsed_body().links)

    @property
    def parts(self) -> list[Part]:
        """The leaves of the MIME tree (bodies and attachments)."""
        return list(self._parsed_body().parts)

    @property
    def parse_error(self) -> str | None:
        """What could not be read faithfully, or None for a well-formed mail."""
        errors = self._parsed_head().errors + self._parsed_body().errors
        return "; ".join(errors) if errors else None

    # -- helpers for steps ---------------------------------------------------

    def link(self, matching: str) -> Link:
        """The first link whose URL matches the regex ``matching`` (``re.search``)."""
        pattern = re.compile(matching)
        links = self.links
        for link in links:
            if pattern.search(link.url):
                return link
        listed = "\n".join(f"  {link.url}" + (f"  ({link.text})" if link.text else "") for link in links)
        raise LookupError(
            f"no link matching {matching!r} in message {self.id} "
            f"({self.subject!r} to {', '.join(self.rcpt_tos)}); "
            + (f"its links:\n{listed}" if links else "it has no links")
        )

    def save_eml(self, path: str | os.PathLike[str]) -> Path:
        """Write the raw bytes as an .eml file; into ``<id>.eml`` when ``path`` is a folder."""
        target = Path(path)
        if target.is_dir():
            target = target / f"{self.id}.eml"
        target.write_bytes(self.raw)
        return target

    def __repr__(self) -> str:
        return f"<Message {self.id} #{self.seq} to={self.rcpt_tos!r} subject={self.subject!r}>"

    def _parsed_head(self) -> Head:
        head = self._head
        if head is None:
            head = self._head = parse_head(self.raw)
        return head

    def _parsed_body(self) -> Body:
        body = self._body
        if body is None:
            body = self._body = parse_body(self.raw)
        return body
