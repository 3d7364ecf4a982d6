"""The one page every address of a site is: a shell the app's script draws into."""

from __future__ import annotations

from functools import cache
from html import escape
from importlib.resources import files

from tests.alt_portal.web import Response


@cache
def script() -> bytes:
    return files(__package__).joinpath("app.js").read_bytes()


def shell(base: str) -> Response:
    page = (
        f'<!doctype html><html lang="en" data-base="{escape(base)}"><head><meta charset="utf-8">'
        f'<title>Billing</title><meta name="viewport" content="width=device-width">'
        f'<script src="{escape(base)}/assets/app.js" defer></script></head>'
        '<body><header><p>Billing portal</p></header><main aria-live="polite"><p>Loading…</p></main></body></html>'
    )
    return Response(200, page.encode())


def not_found() -> Response:
    page = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Not found</title></head><body><h1>No such site</h1></body></html>'
    return Response(404, page.encode())
