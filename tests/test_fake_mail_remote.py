"""Reading a sink over HTTP: the long-poll wait and RemoteSink, which must behave as Mailbox does."""

from __future__ import annotations

import smtplib
import threading
import uuid
from collections.abc import Iterator
from email import policy
from pathlib import Path

import httpx
import pytest
from mail_flows import compose, signal_when_watched

from fake_mail import MailSink, MailTimeout, Message, RemoteSink
from fake_mail.store import MailStore


@pytest.fixture(scope="module")
def sink() -> Iterator[MailSink]:
    with MailSink(http_port=0) as running:
        yield running


@pytest.fixture(scope="module")
def remote(sink: MailSink) -> Iterator[RemoteSink]:
    assert sink.http_url is not None
    with RemoteSink(sink.http_url + "/") as reader:
        yield reader


@pytest.fixture
def ada() -> str:
    return f"ada-{uuid.uuid4().hex[:10]}@example.com"


def send(sink: MailSink, to: str, subject: str, text: str = "hi\n") -> None:
    raw = compose(to, subject, text).as_bytes(policy=policy.SMTP)
    with smtplib.SMTP("127.0.0.1", sink.smtp_port) as client:
        client.sendmail("no-reply@portal.example", [to], raw)


def test_remote_messages_are_the_sinks_messages(sink: MailSink, remote: RemoteSink, ada: str, tmp_path: Path) -> None:
    send(sink, ada, "Welcome", "Accept: https://portal.example/invitation/abc\n")
    local = sink.mailbox(ada).wait_for(subject="Welcome")
    [far] = remote.mailbox(ada.upper()).messages(subject="^Wel")
    assert isinstance(far, Message)
    assert (far.id, far.seq, far.raw, far.rcpt_tos, far.received_at) == (
        local.id, local.seq, local.raw, local.rcpt_tos, local.received_at
    )
    assert far.link(r"/invitation/").url == "https://portal.example/invitation/abc"
    assert far.save_eml(tmp_path).read_bytes() == local.raw
    assert remote.get(far.id) is not None and remote.get(far.id).raw == local.raw  # type: ignore[union-attr]
    assert remote.get("no-such-id") is None


def test_wait_returns_a_mail_that_arrives_while_waiting(
    sink: MailSink, remote: RemoteSink, ada: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    box = remote.mailbox(ada)
    seen = box.cursor()
    began = signal_when_watched(sink.store, monkeypatch)
    got: list[Message] = []
    reader = threading.Thread(target=lambda: got.append(box.wait_for(subject="^Login", after=seen, timeout=10)))
    reader.start()
    try:
        assert began.wait(10), "the HTTP wait never began"
        send(sink, ada, "Something else")
        send(sink, ada, "Login link")
    finally:
        reader.join(15)
    assert [m.subject for m in got] == ["Login link"]
    assert got[0].seq == sink.mailbox(ada).messages(subject="^Login")[0].seq


def test_after_none_counts_stored_mail_and_after_a_cursor_does_not(sink: MailSink, remote: RemoteSink, ada: str) -> None:
    send(sink, ada, "Stored already")
    box = remote.mailbox(ada)
    assert box.wait_for(subject="Stored", timeout=5).subject == "Stored already"
    with pytest.raises(MailTimeout):
        box.wait_for(subject="Stored", after=box.cursor(), timeout=0.2)


def test_timeout_names_what_was_awaited_like_the_local_mailbox(sink: MailSink, remote: RemoteSink, ada: str) -> None:
    send(sink, ada, "Welcome")
    sink.mailbox(ada).wait_for(subject="Welcome")
    cursor = sink.cursor()
    with pytest.raises(MailTimeout) as local:
        sink.mailbox(ada).wait_for(subject="^Reset", after=cursor, timeout=0.2)
    with pytest.raises(MailTimeout) as far:
        remote.mailbox(ada).wait_for(subject="^Reset", after=cursor, timeout=0.2)
    assert str(far.value) == str(local.value)
    assert str(far.value).startswith(f"no mail to {ada} with subject matching '^Reset' within 0.2 s (after cursor")
    assert "'Welcome'" in str(far.value)


def test_a_predicate_is_applied_here_and_the_wait_goes_on_after_a_refused_mail(
    sink: MailSink, remote: RemoteSink, ada: str
) -> None:
    seen = sink.cursor()
    send(sink, ada, "Statement", "amount 10\n")
    send(sink, ada, "Statement", "amount 20\n")
    box = remote.mailbox(ada)
    found = box.wait_for(subject="Statement", where=lambda m: "20" in (m.text or ""), after=seen, timeout=5)
    assert "amount 20" in (found.text or "")
    with pytest.raises(MailTimeout) as timed_out:
        box.wait_for(subject="Statement", where=lambda m: "30" in (m.text or ""), after=seen, timeout=0.3)
    assert "where lambda m: \"30\" in (m.text or \"\")" in str(timed_out.value).splitlines()[0]


def test_expect_none_fails_on_a_matching_mail_and_passes_on_silence(sink: MailSink, remote: RemoteSink, ada: str) -> None:
    box = remote.mailbox(ada)
    seen = box.cursor()
    box.expect_none(subject="Welcome", after=seen, within=0.2)
    send(sink, ada, "Welcome")
    with pytest.raises(AssertionError, match=r"expected no mail to .* with subject matching 'Welcome', but got #\d+"):
        box.expect_none(subject="Welcome", after=seen, within=5)
    box.expect_none(subject="Welcome", where=lambda m: False, after=seen, within=0.2)


def test_clear_forgets_one_recipient_only(sink: MailSink, remote: RemoteSink, ada: str) -> None:
    ben = ada.replace("ada-", "ben-")
    send(sink, ada, "for ada")
    send(sink, ben, "for ben")
    sink.mailbox(ben).wait_for(subject="for ben")
    remote.mailbox(ada).clear()
    assert remote.mailbox(ada).messages() == []
    assert [m.subject for m in remote.mailbox(ben).messages()] == ["for ben"]


def test_a_bad_regex_fails_before_any_request(remote: RemoteSink, ada: str) -> None:
    import re

    with pytest.raises(re.error):
        remote.mailbox(ada).wait_for(subject="(", timeout=1)


@pytest.mark.parametrize(
    ("params", "complaint"),
    [
        ({"subject": "("}, "subject is not a valid regex"),
        ({"after": "-1"}, "after must be a sequence number"),
        ({"after": "soon"}, "after must be a sequence number"),
        ({"timeout": "forever"}, "timeout must be a number of seconds"),
        ({"timeout": "nan"}, "timeout must be from 0 to 600 seconds"),
        ({"timeout": "601"}, "timeout must be from 0 to 600 seconds"),
    ],
)
def test_wait_refuses_bad_queries_with_400(sink: MailSink, params: dict[str, str], complaint: str) -> None:
    answer = httpx.get(f"{sink.http_url}/api/messages/wait", params=params, timeout=10)
    assert answer.status_code == 400
    assert complaint in answer.json()["error"]


def test_wait_timeout_is_408_with_a_body_saying_what_was_awaited(sink: MailSink, ada: str) -> None:
    answer = httpx.get(
        f"{sink.http_url}/api/messages/wait", params={"to": ada, "subject": "Nope", "timeout": "0.1"}, timeout=10
    )
    assert answer.status_code == 408
    body = answer.json()
    assert body["awaited"] == f"to {ada} with subject matching 'Nope'"
    assert body["error"].startswith(f"no mail to {ada} with subject matching 'Nope' within 0.1 s")
    assert body["timeout"] == 0.1 and body["after"] is None


def test_a_reader_that_leaves_ends_its_wait(sink: MailSink, monkeypatch: pytest.MonkeyPatch) -> None:
    """The server notices the client has gone and closes the watch (so retention is not held up)."""
    closed = threading.Event()
    original = sink.store.watch

    class Tracking:
        def __init__(self, inner):  # type: ignore[no-untyped-def]
            self.inner = inner

        def __enter__(self):  # type: ignore[no-untyped-def]
            return self.inner.__enter__()

        def __exit__(self, *exc):  # type: ignore[no-untyped-def]
            result = self.inner.__exit__(*exc)
            closed.set()
            return result

    began = threading.Event()

    def watch(*args, **kwargs):  # type: ignore[no-untyped-def]
        began.set()
        return Tracking(original(*args, **kwargs))

    monkeypatch.setattr(sink.store, "watch", watch)
    with httpx.Client(timeout=httpx.Timeout(10, read=0.3)) as client:
        with pytest.raises(httpx.ReadTimeout):
            client.get(f"{sink.http_url}/api/messages/wait", params={"to": "nobody@example.com", "timeout": "60"})
    assert began.is_set()
    assert closed.wait(10), "the wait went on after its reader left"
