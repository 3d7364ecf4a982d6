"""The simulator's SQLite store: the one module that owns SQL.

One connection in WAL mode, serialised by a lock: every method is one short transaction, so a
request never sees half of another's change and a single-use link is consumed exactly once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any, Iterator

from .emails import message_id_of, new_message_id
from .policy import Policy
from .records import Customer, EmailLink, LinkKind, ManagementLink, Session

SCHEMA = """
CREATE TABLE IF NOT EXISTS sites (
    id TEXT PRIMARY KEY,
    secret BLOB NOT NULL,
    policy TEXT NOT NULL,
    clock_offset REAL NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS customers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id TEXT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    email_verified INTEGER NOT NULL DEFAULT 0,
    portal_enabled INTEGER NOT NULL DEFAULT 0,
    password_hash TEXT,
    invite_last_sent_at REAL,
    invite_last_accepted_at REAL,
    UNIQUE (site_id, email_key)
);
CREATE TABLE IF NOT EXISTS subscriptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    product TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS email_links (
    token_hash TEXT PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    created_at REAL NOT NULL,
    used_at REAL,
    revoked_at REAL
);
CREATE INDEX IF NOT EXISTS email_links_customer ON email_links (customer_id, kind);
CREATE TABLE IF NOT EXISTS management_links (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    created_at REAL NOT NULL,
    nonce TEXT NOT NULL,
    signature_hash TEXT NOT NULL UNIQUE,
    fetch_count INTEGER NOT NULL DEFAULT 0,
    revoked_at REAL
);
CREATE INDEX IF NOT EXISTS management_links_customer ON management_links (customer_id);
CREATE TABLE IF NOT EXISTS sessions (
    id_hash TEXT PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    device TEXT NOT NULL,
    created_at REAL NOT NULL,
    last_seen_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_customer ON sessions (customer_id);
CREATE TABLE IF NOT EXISTS verified_devices (
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    device TEXT NOT NULL,
    verified_at REAL NOT NULL,
    PRIMARY KEY (customer_id, device)
);
CREATE TABLE IF NOT EXISTS rate_events (
    site_id TEXT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS rate_events_lookup ON rate_events (site_id, kind, subject, at);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id TEXT NOT NULL,
    recipient TEXT NOT NULL,
    message BLOB NOT NULL,
    queued_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    last_error TEXT,
    sent_at REAL,
    message_id TEXT
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (sent_at, next_attempt_at);
"""

_CUSTOMER_COLUMNS = (
    "id, site_id, email, first_name, last_name, email_verified, portal_enabled,"
    " password_hash IS NOT NULL, invite_last_sent_at, invite_last_accepted_at"
)


class AddressTaken(Exception):
    """A customer with that address already exists in the site."""


@dataclasses.dataclass(frozen=True)
class Site:
    id: str
    secret: bytes
    policy: Policy
    clock_offset: float


@dataclasses.dataclass(frozen=True)
class OutgoingMail:
    id: int
    recipient: str
    message: bytes
    attempts: int
    message_id: str  # fixed when queued: every delivery of this mail carries it


class Store:
    """All persistent state of the simulator. Construct with a path (":memory:" for tests)."""

    def __init__(self, path: str | Path) -> None:
        self._lock = threading.RLock()
        self._in_transaction = False  # only ever true for the thread holding the lock
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA foreign_keys = ON")
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = NORMAL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextlib.contextmanager
    def atomic(self) -> Iterator[None]:
        """The reads and writes inside as one transaction: a check and the writes it allows
        happen together or not at all, and no other thread writes in between."""
        with self._tx():
            yield

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._in_transaction:  # inside atomic(): part of the transaction already open
                yield self._db
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._in_transaction = True
            try:
                yield self._db
            except BaseException:
                self._in_transaction = False
                self._db.execute("ROLLBACK")
                raise
            self._in_transaction = False
            self._db.execute("COMMIT")

    def _one(self, sql: str, *args: Any) -> tuple[Any, ...] | None:
        with self._lock:
            return self._db.execute(sql, args).fetchone()

    def _all(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # -- sites -------------------------------------------------------------------------------

    def add_site(self, site_id: str, secret: bytes, policy: Policy) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO sites (id, secret, policy) VALUES (?, ?, ?)",
                (site_id, secret, json.dumps(policy.to_dict())),
            )

    def site(self, site_id: str) -> Site | None:
        row = self._one("SELECT id, secret, policy, clock_offset FROM sites WHERE id = ?", site_id)
        if row is None:
            return None
        return Site(row[0], row[1], Policy.from_dict(json.loads(row[2])), row[3])

    def delete_site(self, site_id: str) -> bool:
        with self._tx() as db:
            return db.execute("DELETE FROM sites WHERE id = ?", (site_id,)).rowcount == 1

    def set_policy(self, site_id: str, policy: Policy) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE sites SET policy = ? WHERE id = ?", (json.dumps(policy.to_dict()), site_id)
            )

    def advance_clock(self, site_id: str, seconds: float, *, offset_at_most: float) -> bool:
        """Add `seconds` to the site's clock offset unless that takes it past `offset_at_most`.

        One statement checks and adds, so two advances at once cannot pass the bound together.
        False when nothing changed: the site is gone, or the sum would pass the bound.
        """
        with self._tx() as db:
            cursor = db.execute(
                "UPDATE sites SET clock_offset = clock_offset + ? WHERE id = ? AND clock_offset + ? <= ?",
                (seconds, site_id, seconds, offset_at_most),
            )
        return cursor.rowcount == 1

    # -- customers ---------------------------------------------------------------------------

    def add_customer(self, site_id: str, email: str, first_name: str, last_name: str) -> Customer:
        try:
            with self._tx() as db:
                cursor = db.execute(
                    "INSERT INTO customers (site_id, email, email_key, first_name, last_name)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (site_id, email, email.lower(), first_name, last_name),
                )
        except sqlite3.IntegrityError as error:
            raise AddressTaken(email) from error
        customer = self.customer(site_id, cursor.lastrowid or 0)
        assert customer is not None
        return customer

    def customer(self, site_id: str | None, customer_id: int) -> Customer | None:
        """The customer `customer_id` of site `site_id`; `site_id=None` only for the fault
        `sec6_tokens_any_site`, which looks records up in any site."""
        row = self._one(
            f"SELECT {_CUSTOMER_COLUMNS} FROM customers WHERE id = ? AND ? IN (site_id, '*')",
            customer_id,
            _site_key(site_id),
        )
        return _customer(row)

    def customer_by_email(self, site_id: str, email: str) -> Customer | None:
        row = self._one(
            f"SELECT {_CUSTOMER_COLUMNS} FROM customers WHERE site_id = ? AND email_key = ?",
            site_id,
            email.lower(),
        )
        return _customer(row)

    def password_hash(self, customer_id: int) -> str | None:
        row = self._one("SELECT password_hash FROM customers WHERE id = ?", customer_id)
        return None if row is None else row[0]

    def set_password_hash(self, customer_id: int, password_hash: str) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE customers SET password_hash = ? WHERE id = ?", (password_hash, customer_id)
            )

    def add_subscription(self, customer_id: int, product: str, now: float) -> int:
        with self._tx() as db:
            cursor = db.execute(
                "INSERT INTO subscriptions (customer_id, product, created_at) VALUES (?, ?, ?)",
                (customer_id, product, now),
            )
        return cursor.lastrowid or 0

    def subscriptions(self, customer_id: int) -> list[str]:
        rows = self._all(
            "SELECT product FROM subscriptions WHERE customer_id = ? ORDER BY id", customer_id
        )
        return [row[0] for row in rows]

    # -- invitations and login links ---------------------------------------------------------

    def add_email_link(
        self, customer_id: int, kind: LinkKind, token_hash: str, now: float, *, supersede: bool
    ) -> None:
        """Store a new link; with `supersede`, unused links of the same kind stop working."""
        with self._tx() as db:
            if supersede:
                db.execute(
                    "UPDATE email_links SET revoked_at = ? WHERE customer_id = ? AND kind = ?"
                    " AND used_at IS NULL AND revoked_at IS NULL",
                    (now, customer_id, kind.value),
                )
            db.execute(
                "INSERT INTO email_links (token_hash, customer_id, kind, created_at)"
                " VALUES (?, ?, ?, ?)",
                (token_hash, customer_id, kind.value, now),
            )
            if kind is LinkKind.INVITATION:
                db.execute(
                    "UPDATE customers SET portal_enabled = 1, invite_last_sent_at = ?"
                    " WHERE id = ?",
                    (now, customer_id),
                )

    def email_link(self, site_id: str | None, token_hash: str) -> EmailLink | None:
        row = self._one(
            "SELECT kind, customer_id, email_links.created_at, used_at, revoked_at"
            " FROM email_links JOIN customers ON customers.id = customer_id"
            " WHERE token_hash = ? AND ? IN (site_id, '*')",
            token_hash,
            _site_key(site_id),
        )
        if row is None:
            return None
        return EmailLink(LinkKind(row[0]), row[1], row[2], row[3], row[4])

    def use_email_link(self, token_hash: str, now: float) -> bool:
        """Mark a link used; False when another request used or revoked it first (SEC-2)."""
        with self._tx() as db:
            cursor = db.execute(
                "UPDATE email_links SET used_at = ? WHERE token_hash = ?"
                " AND used_at IS NULL AND revoked_at IS NULL",
                (now, token_hash),
            )
        return cursor.rowcount == 1

    def mark_verified(
        self, customer_id: int, *, device: str | None, now: float, accepted_invitation: bool
    ) -> None:
        with self._tx() as db:
            db.execute("UPDATE customers SET email_verified = 1 WHERE id = ?", (customer_id,))
            if accepted_invitation:
                db.execute(
                    "UPDATE customers SET invite_last_accepted_at = ? WHERE id = ?",
                    (now, customer_id),
                )
            if device is not None:
                db.execute(
                    "INSERT OR REPLACE INTO verified_devices (customer_id, device, verified_at)"
                    " VALUES (?, ?, ?)",
                    (customer_id, device, now),
                )

    def device_verified(self, customer_id: int, device: str) -> bool:
        row = self._one(
            "SELECT 1 FROM verified_devices WHERE customer_id = ? AND device = ?",
            customer_id,
            device,
        )
        return row is not None

    def device_verified_for_address(self, email: str, device: str) -> bool:
        """Is `device` verified for a customer with this address in any site? Only for the fault
        `sec6_devices_any_site`: a device remembered for the address, not the site's customer."""
        row = self._one(
            "SELECT 1 FROM verified_devices JOIN customers ON customers.id = verified_devices.customer_id"
            " WHERE customers.email_key = ? AND verified_devices.device = ?",
            email.lower(),
            device,
        )
        return row is not None

    def revoke_access(
        self, customer_id: int, now: float, *, end_sessions: bool = True, forget_devices: bool = True
    ) -> None:
        """REV-1: every session, link, management URL and verified device stops working.

        `end_sessions=False` only for the fault `rev1_sessions_survive`, `forget_devices=False`
        only for `rev1_devices_stay_verified`.
        """
        with self._tx() as db:
            db.execute("UPDATE customers SET portal_enabled = 0 WHERE id = ?", (customer_id,))
            db.execute(
                "UPDATE email_links SET revoked_at = ? WHERE customer_id = ? AND revoked_at IS NULL",
                (now, customer_id),
            )
            db.execute(
                "UPDATE management_links SET revoked_at = ?"
                " WHERE customer_id = ? AND revoked_at IS NULL",
                (now, customer_id),
            )
            if end_sessions:
                db.execute("DELETE FROM sessions WHERE customer_id = ?", (customer_id,))
            if forget_devices:
                db.execute("DELETE FROM verified_devices WHERE customer_id = ?", (customer_id,))

    # -- management links --------------------------------------------------------------------

    def management_links(self, customer_id: int) -> list[ManagementLink]:
        rows = self._all(
            "SELECT id, customer_id, created_at, fetch_count, revoked_at FROM management_links"
            " WHERE customer_id = ?",
            customer_id,
        )
        return [ManagementLink(*row) for row in rows]

    def add_management_link(
        self, customer_id: int, now: float, nonce: str, signature_hash: str
    ) -> ManagementLink:
        with self._tx() as db:
            cursor = db.execute(
                "INSERT INTO management_links (customer_id, created_at, nonce, signature_hash)"
                " VALUES (?, ?, ?, ?)",
                (customer_id, now, nonce, signature_hash),
            )
        return ManagementLink(cursor.lastrowid or 0, customer_id, now)

    def management_link_by_signature(
        self, site_id: str | None, signature_hash: str
    ) -> tuple[ManagementLink, str] | None:
        """The link and its nonce, so the caller can check the signature it was found by."""
        row = self._one(
            "SELECT management_links.id, customer_id, created_at, fetch_count, revoked_at, nonce"
            " FROM management_links JOIN customers ON customers.id = customer_id"
            " WHERE signature_hash = ? AND ? IN (site_id, '*')",
            signature_hash,
            _site_key(site_id),
        )
        return None if row is None else (ManagementLink(*row[:5]), row[5])

    def count_management_link_read(self, link_id: int) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE management_links SET fetch_count = fetch_count + 1 WHERE id = ?",
                (link_id,),
            )

    def management_link_nonce(self, link_id: int) -> str:
        row = self._one("SELECT nonce FROM management_links WHERE id = ?", link_id)
        assert row is not None
        return str(row[0])

    # -- sessions ----------------------------------------------------------------------------

    def add_session(self, id_hash: str, customer_id: int, device: str, now: float) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO sessions (id_hash, customer_id, device, created_at, last_seen_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (id_hash, customer_id, device, now, now),
            )

    def session(self, site_id: str | None, id_hash: str) -> Session | None:
        row = self._one(
            "SELECT customer_id, device, sessions.created_at, last_seen_at"
            " FROM sessions JOIN customers ON customers.id = customer_id"
            " WHERE id_hash = ? AND ? IN (site_id, '*')",
            id_hash,
            _site_key(site_id),
        )
        return None if row is None else Session(*row)

    def touch_session(self, id_hash: str, now: float) -> None:
        with self._tx() as db:
            db.execute("UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?", (now, id_hash))

    def forget_device_of_session(self, id_hash: str) -> None:
        """Un-verify the device a session was on, leaving the session (fault `ses4_sign_out_keeps_session`)."""
        with self._tx() as db:
            row = db.execute("SELECT customer_id, device FROM sessions WHERE id_hash = ?", (id_hash,)).fetchone()
            if row is not None:
                db.execute("DELETE FROM verified_devices WHERE customer_id = ? AND device = ?", row)

    def end_session(self, id_hash: str, *, forget_device: bool) -> None:
        with self._tx() as db:
            row = db.execute(
                "SELECT customer_id, device FROM sessions WHERE id_hash = ?", (id_hash,)
            ).fetchone()
            db.execute("DELETE FROM sessions WHERE id_hash = ?", (id_hash,))
            if row is not None and forget_device:
                db.execute(
                    "DELETE FROM verified_devices WHERE customer_id = ? AND device = ?", row
                )

    # -- rate windows ------------------------------------------------------------------------

    def record_event(self, site_id: str, kind: str, subject: str, now: float) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO rate_events (site_id, kind, subject, at) VALUES (?, ?, ?, ?)",
                (site_id, kind, subject, now),
            )

    def events(self, site_id: str, kind: str, subject: str, since: float) -> list[float]:
        rows = self._all(
            "SELECT at FROM rate_events WHERE site_id = ? AND kind = ? AND subject = ? AND at > ?",
            site_id,
            kind,
            subject,
            since,
        )
        return [row[0] for row in rows]

    def event_subjects(self, site_id: str, kind: str) -> list[str]:
        """The subjects of every event of `kind` in the site (fault `ev2_link_verifies_waiting_devices`)."""
        rows = self._all("SELECT DISTINCT subject FROM rate_events WHERE site_id = ? AND kind = ?", site_id, kind)
        return [row[0] for row in rows]

    def clear_events(self, site_id: str, kind: str, subject: str) -> None:
        with self._tx() as db:
            db.execute(
                "DELETE FROM rate_events WHERE site_id = ? AND kind = ? AND subject = ?",
                (site_id, kind, subject),
            )

    # -- outbox ------------------------------------------------------------------------------

    def queue_mail(
        self, site_id: str, recipient: str, message: bytes, now: float, message_id: str | None = None
    ) -> int:
        """Queue a mail; its Message-ID (given, else its header's, else a new one) is kept with it."""
        message_id = message_id or message_id_of(message) or new_message_id()
        with self._tx() as db:
            cursor = db.execute(
                "INSERT INTO outbox (site_id, recipient, message, queued_at, next_attempt_at, message_id)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (site_id, recipient, message, now, now, message_id),
            )
        return cursor.lastrowid or 0

    def due_mail(self, now: float, limit: int = 50) -> list[OutgoingMail]:
        rows = self._all(
            "SELECT id, recipient, message, attempts, message_id FROM outbox"
            " WHERE sent_at IS NULL AND next_attempt_at <= ? ORDER BY id LIMIT ?",
            now,
            limit,
        )
        return [OutgoingMail(*row) for row in rows]

    def next_mail_due_at(self) -> float | None:
        row = self._one("SELECT MIN(next_attempt_at) FROM outbox WHERE sent_at IS NULL")
        return None if row is None else row[0]

    def mark_sent(self, mail_id: int, now: float) -> None:
        with self._tx() as db:
            db.execute("UPDATE outbox SET sent_at = ? WHERE id = ?", (now, mail_id))

    def mark_failed(self, mail_id: int, error: str, retry_at: float) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?"
                " WHERE id = ?",
                (error, retry_at, mail_id),
            )

    def outbox(self) -> list[dict[str, Any]]:
        rows = self._all(
            "SELECT id, site_id, recipient, queued_at, attempts, last_error, sent_at, message_id FROM outbox"
            " ORDER BY id"
        )
        keys = ("id", "site_id", "recipient", "queued_at", "attempts", "last_error", "sent_at", "message_id")
        return [dict(zip(keys, row)) for row in rows]


def _site_key(site_id: str | None) -> str:
    """What `? IN (site_id, '*')` compares: the site's id, or '*' (no site id is) for any site."""
    return "*" if site_id is None else site_id


def _customer(row: tuple[Any, ...] | None) -> Customer | None:
    if row is None:
        return None
    return Customer(
        id=row[0],
        site_id=row[1],
        email=row[2],
        first_name=row[3],
        last_name=row[4],
        email_verified=bool(row[5]),
        portal_enabled=bool(row[6]),
        has_password=bool(row[7]),
        invite_last_sent_at=row[8],
        invite_last_accepted_at=row[9],
    )
