"""Links found in a mail: anchors in its HTML, bare URLs in its text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

__all__ = ["Link", "find_links"]

# Stops at whitespace, quotes and angle brackets: a URL in plain text is
# usually wrapped as <https://...> or "https://..." by mail composers.
_BARE_URL = re.compile(r"""https?://[^\s<>"'\x00-\x1f]+""", re.IGNORECASE)
_TRAILING_PUNCTUATION = ".,;:!?'\"*_"
_CLOSERS = {")": "(", "]": "[", "}": "{"}


@dataclass(frozen=True, slots=True)
class Link:
    """A link in a message: its URL and the anchor text ("" for a bare URL)."""

    url: str
    text: str = ""


class _AnchorCollector(HTMLParser):
    """Collects every ``<a href>`` and the text inside it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[Link] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "a":
            return
        # An <a> inside an unclosed <a> ends the first one, as browsers do.
        self._close_anchor()
        href = dict(attrs).get("href")
        if href is not None and href.strip():
            self._href = href.strip()

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._close_anchor()

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def close(self) -> None:
        super().close()
        self._close_anchor()

    def _close_anchor(self) -> None:
        if self._href is not None:
            text = " ".join("".join(self._text).split())
            self.links.append(Link(self._href, text))
        self._href = None
        self._text = []


def anchors(html: str) -> list[Link]:
    """Every ``<a href>`` of an HTML document, in document order."""
    collector = _AnchorCollector()
    collector.feed(html)
    collector.close()
    return collector.links


def bare_urls(text: str) -> list[str]:
    """Every http(s) URL written out in plain text, in order."""
    return [_trim(match.group()) for match in _BARE_URL.finditer(text)]


def find_links(text: str | None, html: str | None) -> list[Link]:
    """The links of a message: HTML anchors first, then bare URLs of the text.

    A bare URL already present as an anchor is not repeated: a text part is
    usually the plain rendering of the HTML part, and the anchor carries more.
    """
    links = anchors(html) if html else []
    seen = {link.url for link in links}
    for url in bare_urls(text) if text else []:
        if url not in seen:
            seen.add(url)
            links.append(Link(url))
    return links


def _trim(url: str) -> str:
    # Sentence punctuation after a URL is not part of it; a closing
    # parenthesis is, when the URL opened one (Wikipedia-style paths).
    while url:
        last = url[-1]
        unbalanced = last in _CLOSERS and url.count(last) > url.count(_CLOSERS[last])
        if last not in _TRAILING_PUNCTUATION and not unbalanced:
            break
        url = url[:-1]
    return url
