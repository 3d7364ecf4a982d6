"""fake_mail's HTTP face: the JSON API and the inbox page, against a live server."""

from __future__ import annotations

import html
import json
import re
import smtplib
import uuid
from collections.abc import Iterator
from email import policy

import httpx
import pytest
from mail_flows import compose

from fake_mail import MailSink, Message
from fake_mail.web import PREVIEW_HEAD, preview_html


@pytest.fixture(scope="module")
def sink() -> Iterator[MailSink]:
    with MailSink(http_port=0) as running:
        yield running


@pytest.fixture(scope="module")
def http(sink: MailSink) -> Iterator[httpx.Client]:
    assert sink.http_url is not None
    with httpx.Client(base_url=sink.http_url, timeout=10) as client:
        yield client


@pytest.fixture
def ada() -> str:
    return f"ada-{uuid.uuid4().hex[:10]}@example.com"


def deliver(sink: MailSink, to: str, subject: str, text: str | None = "hi\n", html_body: str | None = None) -> Message:
    mail = compose(to, subject, text, html_body)
    box = sink.mailbox(to)
    seen = box.cursor()
    with smtplib.SMTP("127.0.0.1", sink.smtp_port) as client:
        client.sendmail("no-reply@portal.example", [to], mail.as_bytes(policy=policy.SMTP))
    return box.wait_for(after=seen, timeout=10)


def test_http_url_is_only_there_when_asked_for() -> None:
    with MailSink() as sink:
        assert sink.http_url is None
    with MailSink(http_port=0) as sink:
        assert sink.http_url is not None and re.fullmatch(r"http://127\.0\.0\.1:\d+", sink.http_url)


def test_list_is_newest_first_and_filters_by_recipient_and_subject(
    sink: MailSink, http: httpx.Client, ada: str
) -> None:
    first = deliver(sink, ada, "Welcome")
    second = deliver(sink, ada, "Your login link")
    deliver(sink, ada.replace("ada-", "ben-"), "Welcome")

    listed = http.get("/api/messages", params={"to": ada.upper()}).json()
    assert [m["id"] for m in listed] == [second.id, first.id]
    assert listed[0] == {
        "id": second.id,
        "seq": second.seq,
        "received_at": second.received_at.isoformat(),
        "mail_from": "no-reply@portal.example",
        "rcpt_tos": [ada],
        "from": "no-reply@portal.example",
        "to": [ada],
        "subject": "Your login link",
        "size": len(second.raw),
    }
    assert [m["id"] for m in http.get("/api/messages", params={"to": ada, "subject": "^Wel"}).json()] == [first.id]
    everyone = [m["id"] for m in http.get("/api/messages").json()]
    assert everyone.index(second.id) < everyone.index(first.id)


def test_a_bad_subject_regex_is_a_400(http: httpx.Client) -> None:
    response = http.get("/api/messages", params={"subject": "(unclosed"})
    assert response.status_code == 400
    assert "not a valid regex" in response.json()["error"]


def test_one_message_with_parts_and_links(sink: MailSink, http: httpx.Client, ada: str) -> None:
    url = "https://portal.example/invitations/t0k3n"
    message = deliver(sink, ada, "Invitation", f"Accept: {url}\n", f'<a href="{url}">Accept</a>')
    body = http.get(f"/api/messages/{message.id}").json()
    assert body["subject"] == "Invitation"
    assert body["text"] == f"Accept: {url}\n"
    assert body["html"] == f'<a href="{url}">Accept</a>\n'
    assert body["links"] == [{"url": url, "text": "Accept"}]
    assert [part["content_type"] for part in body["parts"]] == ["text/plain", "text/html"]
    assert ["Subject", "Invitation"] in body["headers"]
    assert body["parse_error"] is None


def test_raw_is_served_as_rfc822(sink: MailSink, http: httpx.Client, ada: str) -> None:
    message = deliver(sink, ada, "Raw")
    response = http.get(f"/api/messages/{message.id}/raw")
    assert response.status_code == 200
    assert response.headers["content-type"] == "message/rfc822"
    assert response.content == message.raw


def test_unknown_ids_are_json_404s(http: httpx.Client) -> None:
    for method, path in [
        ("GET", "/api/messages/nope"),
        ("GET", "/api/messages/nope/raw"),
        ("DELETE", "/api/messages/nope"),
    ]:
        response = http.request(method, path)
        assert response.status_code == 404
        assert response.json() == {"error": "no message with id 'nope'"}


def test_delete_one_and_clear_a_mailbox(sink: MailSink, http: httpx.Client, ada: str) -> None:
    first = deliver(sink, ada, "First")
    deliver(sink, ada, "Second")
    assert http.delete(f"/api/messages/{first.id}").status_code == 204
    assert [m.subject for m in sink.mailbox(ada).messages()] == ["Second"]
    assert http.delete("/api/messages", params={"to": ada}).status_code == 204
    assert sink.mailbox(ada).messages() == []


def test_clear_everything() -> None:
    with MailSink(http_port=0) as own, httpx.Client(base_url=own.http_url or "", timeout=10) as http:
        deliver(own, "ada@example.com", "One")
        deliver(own, "ben@example.com", "Two")
        assert http.delete("/api/messages").status_code == 204
        assert own.messages() == [] and http.get("/api/messages").json() == []


def test_inbox_shows_a_persons_mail_newest_first(sink: MailSink, http: httpx.Client, ada: str) -> None:
    deliver(sink, ada, "Older mail", "older body\n")
    deliver(sink, ada, "Newer mail", "Log in: https://portal.example/login/abc\n")
    page = http.get("/", params={"to": ada})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    policy_header = page.headers["content-security-policy"]
    assert policy_header.startswith("default-src 'none'; script-src 'nonce-")
    # The page's one script (the live update) runs by its nonce; no other script could.
    nonce = re.search(r"script-src 'nonce-([^']+)'", policy_header).group(1)  # type: ignore[union-attr]
    text = page.text
    assert re.findall(r"<script[^>]*>", text) == [f'<script nonce="{nonce}">']
    assert nonce not in http.get("/", params={"to": ada}).headers["content-security-policy"]  # fresh per page
    assert text.index("Newer mail") < text.index("Older mail")
    assert "older body" in text
    assert '<a href="https://portal.example/login/abc" target="_blank" rel="noopener noreferrer">' in text


def test_inbox_escapes_markup_and_sandboxes_html(sink: MailSink, http: httpx.Client, ada: str) -> None:
    evil_html = '<script>alert("html")</script><a href="javascript:alert(1)">click</a><p>Hi "Ada" &amp; co</p>'
    deliver(sink, ada, '<script>alert("subject")</script>', "<b>text</b>\n", evil_html)
    text = http.get("/", params={"to": ada}).text

    assert "<script>" not in text
    assert "&lt;script&gt;alert(&#34;subject&#34;)&lt;/script&gt;" in text
    assert "&lt;b&gt;text&lt;/b&gt;" in text
    # The HTML body only ever appears escaped inside the srcdoc of an iframe sandboxed
    # without scripts, its links sent to a new tab.
    frames = re.findall(r'<iframe sandbox="allow-popups allow-popups-to-escape-sandbox" [^>]*srcdoc="([^"]*)"', text)
    assert [html.unescape(frame) for frame in frames] == [PREVIEW_HEAD + evil_html + "\n"]
    # A javascript: link is listed as text, never as an anchor.
    assert 'href="javascript:' not in text
    assert "<code>javascript:alert(1)</code>" in text


def test_preview_head_goes_inside_the_mails_own_head() -> None:
    assert preview_html("<html><HEAD lang=en><title>t</title></head><body>b</body></html>") == (
        f"<html><HEAD lang=en>{PREVIEW_HEAD}<title>t</title></head><body>b</body></html>"
    )
    assert preview_html("<p>no head</p>") == PREVIEW_HEAD + "<p>no head</p>"


def test_message_card_is_the_inbox_article_and_404s_when_unknown(
    sink: MailSink, http: httpx.Client, ada: str
) -> None:
    message = deliver(sink, ada, "Card mail", "see https://portal.example/x\n")
    card = http.get(f"/messages/{message.id}/card")
    assert card.status_code == 200
    assert card.text.startswith(f'<article id="m-{message.id}" data-seq="{message.seq}">')
    assert card.text in http.get("/", params={"to": ada}).text
    assert http.get("/messages/nope/card").status_code == 404


def test_inbox_for_everyone_lists_recipients(sink: MailSink, http: httpx.Client, ada: str) -> None:
    deliver(sink, ada, "Hello")
    text = http.get("/").text
    assert f'href="/?to={ada.replace("@", "%40")}"' in text


def next_event(lines: Iterator[str]) -> dict[str, str]:
    """The fields of the next server-sent event (comments and the retry hint skipped)."""
    fields: dict[str, str] = {}
    for line in lines:
        if line == "":
            if "data" in fields:
                return fields
            fields = {}
            continue
        name, _, value = line.partition(": ")
        fields[name] = value
    raise AssertionError(f"the stream ended before an event: {fields}")


def test_events_resume_after_last_event_id_and_only_for_the_recipient(sink: MailSink, ada: str) -> None:
    first = deliver(sink, ada, "First")
    deliver(sink, ada.replace("ada-", "ben-"), "For Ben")
    second = deliver(sink, ada, "Second")
    headers = {"Last-Event-ID": str(first.seq)}
    with httpx.stream("GET", f"{sink.http_url}/api/events", params={"to": ada}, headers=headers, timeout=10) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        event = next_event(stream.iter_lines())
    assert (event["event"], event["id"]) == ("message", str(second.seq))
    assert json.loads(event["data"])["subject"] == "Second"


def test_events_bring_mail_that_arrives_while_listening(sink: MailSink, ada: str) -> None:
    seen = sink.cursor()
    with httpx.stream("GET", f"{sink.http_url}/api/events", params={"to": ada, "after": str(seen)}, timeout=10) as stream:
        lines = stream.iter_lines()
        assert next(lines) == "retry: 1000"  # the stream has begun; after= covers mail from the cursor on
        message = deliver(sink, ada, "Live")
        event = next_event(lines)
    assert event["id"] == str(message.seq) and json.loads(event["data"])["id"] == message.id


def test_events_refuse_a_bad_cursor(http: httpx.Client) -> None:
    answer = http.get("/api/events", headers={"Last-Event-ID": "yesterday"})
    assert answer.status_code == 400 and "after must be a sequence number" in answer.json()["error"]
