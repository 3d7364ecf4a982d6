"""A URL with one part changed as a tamperer would change it: the one way the suite's steps and
the explorer's walks do it, so that an explored finding pasted into `features/` opens the very
URL the walk opened."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit


def tampered(url: str, base: str, part: str, index: int) -> str:
    """`url` with its path segment under `base` (part "segment") or its query value (part "query";
    a segment when there is no query) at `index`, counted from 0 and wrapping past the last, changed."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if part == "query" and query:
        k = index % len(query)
        query[k] = (query[k][0], changed_part(query[k][1]))
        return urlunsplit(parts._replace(query=urlencode(query)))
    segments = parts.path[len(base):].strip("/").split("/")
    k = index % len(segments)
    segments[k] = changed_part(segments[k])
    return urlunsplit(parts._replace(path=base + "/" + "/".join(segments)))


def changed_part(part: str) -> str:
    """One part of a URL, changed: a number plus one, else its middle character."""
    if part.isdigit():
        return str(int(part) + 1)
    if not part:
        return "x"
    middle = len(part) // 2
    return part[:middle] + ("A" if part[middle] != "A" else "B") + part[middle + 1:]
