"""Starting the bundled simulator: any token works, and a start that never gets ready is cut off."""

from __future__ import annotations

import httpx
import pytest

from fake_mail import MailSink
from portalcheck import reference
from portalcheck.reference import ReferencePortal


def test_a_token_that_starts_with_a_dash_still_starts_the_simulator(monkeypatch: pytest.MonkeyPatch) -> None:
    # token_urlsafe draws "-" first once in 64 starts; read as an option, it stopped the run.
    monkeypatch.setattr(reference.secrets, "token_urlsafe", lambda n: "-starts-with-a-dash")
    with MailSink() as sink, ReferencePortal(smtp_host=sink.host, smtp_port=sink.smtp_port) as portal:
        answer = httpx.get(f"{portal.control_url}/control/capabilities", headers={"Authorization": "Bearer -starts-with-a-dash"})
    assert answer.status_code == 200, answer.text


def test_a_start_that_keeps_talking_but_never_gets_ready_times_out() -> None:
    portal = ReferencePortal(smtp_host="127.0.0.1", smtp_port=1)
    portal._args = ["yes", "still starting"]  # prints forever, never "ready"
    with pytest.raises(RuntimeError, match=r"did not say 'ready' within 0.5s: (still starting\n){20}$"):
        portal.start(timeout=0.5)
    assert portal._process is not None and portal._process.poll() is not None, "the child was left running"


def test_a_simulator_that_exits_on_start_says_what_it_printed() -> None:
    portal = ReferencePortal(smtp_host="127.0.0.1", smtp_port=1, extra_args=("--fault", "no_such_fault"))
    with pytest.raises(RuntimeError, match=r"(?s)exited on start: .*invalid choice: .no_such_fault."):
        portal.start()
