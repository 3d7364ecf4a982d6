"""The mail sink a run reads, as the profile's `[sink]` asks, and how the bundled simulator
reaches it: one code path for `portalcheck run` (the plugin's fixtures) and `portalcheck explore`.

A profile's sink is one of: a sink service that already runs (`api`: read over HTTP, nothing
started), or a sink started here on `host:port`, plain SMTP or a relay that offers or requires
STARTTLS (`starttls`) and asks for AUTH (`auth`), as docs/vendors.md and docs/mail.md say.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

from fake_mail import MailSink, RemoteSink

from .profile import Profile


class SinkUnavailable(RuntimeError):
    """The suite's own sink could not listen where the profile says: the run's problem."""


def sink_of(profile: Profile, *, http_port: int | None = None) -> MailSink:
    """The sink the profile asks the suite to run: plain SMTP, or STARTTLS and AUTH as a relay."""
    user, _, password = profile.sink_auth.partition(":")
    return MailSink(
        host=profile.sink_host, smtp_port=profile.sink_port, http_port=http_port,
        starttls=bool(profile.sink_starttls), require_starttls=profile.sink_starttls == "require",
        auth={user: password} if password else None, auth_accept_any=profile.sink_auth == "any",
    )


@contextlib.contextmanager
def running_sink(profile: Profile, *, elsewhere: str = "") -> Iterator[MailSink | RemoteSink]:
    """The sink a process reads while the block runs: the sink service at the profile's
    `[sink] api`, or at `elsewhere` (another process's sink), else one of the profile's own,
    started here and stopped after."""
    api = profile.sink_api or elsewhere
    if api:
        remote = RemoteSink(api)
        try:
            yield remote
        finally:
            remote.close()
        return
    sink = sink_of(profile)
    try:
        sink.start()
    except OSError as error:
        raise SinkUnavailable(f"[sink] cannot listen on {profile.sink_host}:{profile.sink_port}: {error}") from None
    try:
        yield sink
    finally:
        sink.stop()


def reference_relay_args(profile: Profile, sink: MailSink) -> tuple[str, ...]:
    """How the bundled simulator sends to that sink: through STARTTLS, trusting the sink's own
    certificate authority, and with AUTH where the sink asks for it."""
    if not profile.sink_starttls:
        return ()
    credentials = profile.sink_auth if ":" in profile.sink_auth else "portalcheck:any" if profile.sink_auth else ""
    return ("--smtp-starttls", f"--smtp-cafile={sink.tls_ca_file}", *([f"--smtp-auth={credentials}"] if credentials else ()))


def reference_delivery(profile: Profile, sink: MailSink | RemoteSink) -> tuple[str, int, tuple[str, ...]]:
    """Where the bundled simulator sends its mail (host, port) and the simulator's arguments for
    how: a sink service's SMTP address as the profile gives it, else the sink started here."""
    if profile.sink_api:
        return profile.sink_host, profile.sink_port, ()
    assert isinstance(sink, MailSink), "a sink started here for a profile without [sink] api"
    return sink.host, sink.smtp_port, reference_relay_args(profile, sink)
