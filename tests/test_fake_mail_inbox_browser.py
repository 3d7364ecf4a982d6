"""The inbox page as a person walking the flow by hand sees it, in Debian's Chromium.

New mail appears without a reload (server-sent events), a link in the HTML preview opens the
portal in a tab of its own that is not sandboxed (its scripts and cookies work), the mail's own
scripts never run, and a long URL wraps inside its card.
"""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from email import policy

import pytest
from mail_flows import compose
from playwright.sync_api import Browser, Page
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from fake_mail import MailSink
from fake_mail.serving import HttpServer, bind

WAIT_MS = 10_000
LONG_URL = "https://portal.example/s/site/manage/1/1767225600/" + "A" * 400


async def portal_home(request: Request) -> HTMLResponse:
    # Runs a script and sets a cookie: both fail in a page that inherited the preview's sandbox.
    return HTMLResponse(
        "<!doctype html><title>portal</title>"
        "<script>document.cookie = 'visited=yes'; document.title = 'Portal ' + document.cookie;</script>"
    )


@pytest.fixture
def portal_url() -> Iterator[str]:
    server = HttpServer(Starlette(routes=[Route("/home", portal_home)]), bind("127.0.0.1", 0))
    server.start()
    try:
        yield f"http://127.0.0.1:{server.port}/home"
    finally:
        server.stop()


@pytest.fixture
def sink() -> Iterator[MailSink]:
    with MailSink(http_port=0) as running:
        yield running


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 900, "height": 700})
    context.set_default_timeout(WAIT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()  # before the sink stops: its event streams end with the page


def send(sink: MailSink, to: str, subject: str, text: str, html: str | None = None) -> None:
    with smtplib.SMTP("127.0.0.1", sink.smtp_port) as client:
        client.sendmail("no-reply@portal.example", [to], compose(to, subject, text, html).as_bytes(policy=policy.SMTP))


def test_new_mail_appears_without_a_reload_and_its_link_opens_the_portal(
    sink: MailSink, page: Page, portal_url: str
) -> None:
    page.goto(f"{sink.http_url}/?to=ada@example.com")
    assert page.locator("#count").inner_text() == "0 messages"
    page.evaluate("window.drawnOnce = true")  # a reload would forget it

    send(sink, "ben@example.com", "Not for Ada", "hi\n")
    send(
        sink,
        "ada@example.com",
        "Your invitation",
        f"Accept: {portal_url}\nManage: {LONG_URL}\n",
        f'<p>Hello</p><a href="{portal_url}">Open your portal</a><p>{LONG_URL}</p>'
        '<script>document.body.dataset.ran = "yes"</script>',
    )
    card = page.locator("article", has_text="Your invitation")
    card.wait_for()
    assert page.evaluate("window.drawnOnce") is True, "the page reloaded"
    assert page.locator("#count").inner_text() == "1 message"
    assert page.locator("article", has_text="Not for Ada").count() == 0

    # Long URLs wrap inside the card instead of running off it.
    overflow = card.evaluate(
        """card => [...card.querySelectorAll('*')].filter(
            e => e.tagName !== 'IFRAME' && e.getBoundingClientRect().right > card.getBoundingClientRect().right + 1
        ).map(e => e.tagName + ' ' + e.textContent.slice(0, 40))"""
    )
    assert overflow == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    preview = page.frame_locator("article iframe")
    preview.get_by_role("link", name="Open your portal").wait_for()
    assert preview.locator("body").get_attribute("data-ran") is None, "the mail's script ran"
    with page.context.expect_page() as opened:
        preview.get_by_role("link", name="Open your portal").click()
    portal = opened.value
    portal.wait_for_load_state()
    assert portal.url == portal_url
    assert portal.title() == "Portal visited=yes", "the portal's tab is sandboxed (no script or no cookies)"
    assert page.url == f"{sink.http_url}/?to=ada@example.com"  # the inbox stays where it was


def test_the_page_for_everyone_adds_a_new_recipient_to_its_list(sink: MailSink, page: Page) -> None:
    page.goto(f"{sink.http_url}/")
    send(sink, "cy@example.com", "First mail for Cy", "hi\n")
    page.locator("article", has_text="First mail for Cy").wait_for()
    assert page.locator("nav a[data-recipient='cy@example.com']").get_attribute("href") == "/?to=cy%40example.com"
