"""The alert path against a scripted SMTP server: no password in clear, and one refused
message or one unsendable address never stops the other alerts.

aiosmtpd (tests/smtp_server.py) cannot answer the DATA command itself with a refusal,
nor show what a client sent, so these tests talk to ``Scripted``: a plain socket server
on 127.0.0.1 that answers from a script and records every line it receives.
"""

from __future__ import annotations

import base64
import io
import socket
import socketserver
import ssl
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest
import trustme
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor import mail
from monitor.errors import MailError, PermanentMailError, TransientMailError
from monitor.mail import SmtpSession, SmtpSettings, SmtpTransport
from tests.conftest import FeedServer
from tests.test_alerts import HITS, config_for, outbox, run

PASSWORD = "s3cret-Passw0rd"


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    context: ssl.SSLContext | None = None  # set: implicit TLS, as on port 465

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        if self.context is None:
            return sock, address
        return self.context.wrap_socket(sock, server_side=True), address


class Scripted:
    """An SMTP server that answers from ``replies`` (a list per verb, used up in order,
    then the normal answer) and keeps the ``transcript`` of every line it received.
    ``tls``: implicit TLS with a certificate from a test CA (``ca_file``)."""

    def __init__(
        self,
        extensions: tuple[str, ...] = (),
        replies: dict[str, list[str]] | None = None,
        tls: Path | None = None,
    ) -> None:
        self.extensions = extensions
        self.replies = {verb: list(answers) for verb, answers in (replies or {}).items()}
        self.transcript: list[str] = []
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.lock = threading.Lock()
        owner = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                owner.converse(self.rfile, self.wfile)

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.host, self.port = "127.0.0.1", self.server.server_address[1]
        self.ca_file = tls
        if tls is not None:
            ca = trustme.CA()
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ca.issue_cert(self.host).configure_cert(context)
            ca.cert_pem.write_to_path(str(tls))
            self.server.context = context

    def answer(self, verb: str, normal: str) -> str:
        with self.lock:
            scripted = self.replies.get(verb)
            return scripted.pop(0) if scripted else normal

    def converse(self, rfile: io.BufferedIOBase, wfile: io.BufferedIOBase) -> None:
        def say(line: str) -> None:
            wfile.write(line.encode() + b"\r\n")

        say("220 scripted ESMTP")
        sender = ""
        rcpts: list[str] = []
        while raw := rfile.readline():
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            with self.lock:
                self.transcript.append(line)
            verb = line.split(" ", 1)[0].upper()
            if verb == "EHLO":
                features = ["scripted", *self.extensions]
                for feature in features[:-1]:
                    say(f"250-{feature}")
                say(f"250 {features[-1]}")
            elif verb == "MAIL":
                sender, rcpts = line[10:], []
                say(self.answer(verb, "250 2.1.0 ok"))
            elif verb == "RCPT":
                rcpts.append(line[8:])
                say(self.answer(verb, "250 2.1.5 ok"))
            elif verb == "DATA":
                reply = self.answer(verb, "354 go ahead")
                say(reply)
                if reply.startswith("354"):
                    data = b"".join(iter(lambda: rfile.readline(), b".\r\n"))
                    with self.lock:
                        self.messages.append((sender, rcpts, data))
                    say("250 2.0.0 queued")
            elif verb == "QUIT":
                say("221 bye")
                return
            elif verb in ("AUTH", "STARTTLS", "RSET", "NOOP"):
                normal = {"AUTH": "235 2.7.0 ok", "STARTTLS": "454 4.7.0 no TLS here"}
                say(self.answer(verb, normal.get(verb, "250 2.0.0 ok")))
            else:
                say("502 5.5.1 unknown command")

    def __enter__(self) -> Scripted:
        serve = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        serve.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def scripted() -> Iterator[Scripted]:
    with Scripted() as server:
        yield server


def email_for(server: Scripted, extra: str = "", security: str = "none") -> str:
    return (
        f'smtp_host = "{server.host}"\nsmtp_port = {server.port}\nsecurity = "{security}"\n'
        f'from = "Monitor <alerts@example.org>"\n{extra}'
    )


def settings_for(server: Scripted, **changes: object) -> SmtpSettings:
    fields: dict[str, object] = {
        "host": server.host,
        "port": server.port,
        "security": "none",
        "username": "",
        "password": None,
        "sender": "alerts@example.org",
        "timeout": 10.0,
    }
    fields.update(changes)
    return SmtpSettings(**fields)  # type: ignore[arg-type]


def a_message() -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = "test"
    msg.set_content("hello\n")
    return msg


# -- The password never crosses the network in clear -------------------------------


def test_no_login_over_an_unencrypted_connection(tmp_path: Path, feed_server: FeedServer) -> None:
    with Scripted(extensions=("AUTH PLAIN LOGIN",)) as server:
        email = email_for(server, 'to = ["reader@example.org"]\nusername = "monitor"\n')
        config = config_for(tmp_path, feed_server, email)
        env = {"MONITOR_SMTP_PASSWORD": PASSWORD}
        said = run(config, "test-email", code=1, env=env)
        assert said.startswith("Error: ") and "Traceback" not in said
        assert "email.security" in said and "starttls" in said
        assert f"alerts: 0 sent, {HITS} to retry" in run(config, "poll", env=env)
        rows = outbox(config)
        assert {r["state"] for r in rows} == {"pending"}
        assert all("email.security" in str(r["last_error"]) for r in rows)
        wire = "\n".join(server.transcript)
        encoded = base64.b64encode(f"\0monitor\0{PASSWORD}".encode()).decode()
        assert "AUTH" not in wire.upper() and PASSWORD not in wire and encoded not in wire
        assert server.messages == []


def test_the_refusal_comes_before_any_connection(scripted: Scripted) -> None:
    via = SmtpTransport(settings_for(scripted, username="monitor", password=PASSWORD))
    with pytest.raises(TransientMailError, match="unencrypted") as caught, via.session():
        pass  # pragma: no cover - the session never opens
    assert caught.value.session and scripted.transcript == []


@pytest.mark.parametrize(
    ("extensions", "outcome"),
    [
        (("AUTH PLAIN",), None),  # over TLS the login goes out
        ((), "offers no login (AUTH)"),  # smtplib says "not supported": say what is missing
    ],
)
def test_a_login_over_tls(tmp_path: Path, extensions: tuple[str, ...], outcome: str | None) -> None:
    with Scripted(extensions=extensions, tls=tmp_path / "ca.pem") as server:
        login = {"username": "monitor", "password": PASSWORD, "ca_file": server.ca_file}
        via = SmtpTransport(settings_for(server, security="tls", **login))
        if outcome is None:
            with via.session() as session:
                assert session.send(a_message(), ["reader@example.org"]).startswith("250")
            assert any(line.startswith("AUTH PLAIN ") for line in server.transcript)
            return
        with pytest.raises(TransientMailError) as caught, via.session():
            pass  # pragma: no cover - the session never opens
        assert outcome in str(caught.value) and "email.username" in str(caught.value)


# -- One refused message is that message's outcome, not the round's -----------------


@pytest.mark.parametrize(
    ("answer", "state"),
    [
        ("554 5.7.1 message content rejected", "failed"),  # permanent: this alert fails
        ("451 4.3.0 try again later", "pending"),  # temporary: this alert waits
    ],
)
def test_a_refused_data_command_is_one_alerts_outcome(
    tmp_path: Path, feed_server: FeedServer, answer: str, state: str
) -> None:
    with Scripted(replies={"DATA": [answer]}) as server:  # only the first message refused
        config = config_for(
            tmp_path, feed_server, email_for(server, 'to = ["reader@example.org"]\n')
        )
        run(config, "poll")
        rows = outbox(config)
        states = [r["state"] for r in rows]
        assert states.count("sent") == HITS - 1 and states.count(state) == 1
        [odd] = [r for r in rows if r["state"] == state]
        assert answer in str(odd["last_error"]) and "connection lost" not in str(odd["last_error"])
        assert len(server.messages) == HITS - 1


def test_a_refusal_before_any_message_leaves_every_alert_pending_with_the_answer(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    with Scripted(extensions=("STARTTLS",), replies={"STARTTLS": ["554 5.7.0 no TLS"]}) as server:
        email = email_for(server, 'to = ["reader@example.org"]\n', security="starttls")
        config = config_for(tmp_path, feed_server, email)
        assert f"alerts: 0 sent, {HITS} to retry" in run(config, "poll")
        rows = outbox(config)
        assert {r["state"] for r in rows} == {"pending"}
        assert all("answered 554 5.7.0 no TLS" in str(r["last_error"]) for r in rows)


# -- An address smtplib cannot put on the wire ---------------------------------------

UMLAUT = "jürgen@example.de"


@pytest.mark.parametrize(
    ("extensions", "to", "sent_to", "state", "note"),
    [
        # Without SMTPUTF8 the address is left out, the others still get the alert...
        ((), ["reader@example.org", UMLAUT], ["<reader@example.org>"], "sent", "SMTPUTF8"),
        # ... and an alert for that address alone fails, with the reason.
        ((), [UMLAUT], None, "failed", "SMTPUTF8"),
        # A server that offers SMTPUTF8 takes it.
        (("SMTPUTF8",), [UMLAUT], [f"<{UMLAUT}>"], "sent", None),
    ],
)
def test_a_non_ascii_address(
    tmp_path: Path,
    feed_server: FeedServer,
    extensions: tuple[str, ...],
    to: list[str],
    sent_to: list[str] | None,
    state: str,
    note: str | None,
) -> None:
    with Scripted(extensions=extensions) as server:
        recipients = ", ".join(f'"{r}"' for r in to)
        config = config_for(tmp_path, feed_server, email_for(server, f"to = [{recipients}]\n"))
        out = run(config, "poll")
        assert "alerts: " in out
        rows = outbox(config)
        assert {r["state"] for r in rows} == {state}
        for row in rows:
            error = row["last_error"]
            assert (note in str(error) and UMLAUT in str(error)) if note else error is None
        if sent_to is None:
            assert server.messages == []
            return
        assert len(server.messages) == HITS and all(m[1] == sent_to for m in server.messages)
        if "SMTPUTF8" in extensions:
            assert any(line.endswith(" SMTPUTF8") for line in server.transcript)
            assert f"To: {UMLAUT}".encode() in server.messages[0][2]


def test_a_non_ascii_sender_waits_for_the_config_to_change(
    tmp_path: Path, feed_server: FeedServer, scripted: Scripted
) -> None:
    email = email_for(scripted, 'to = ["reader@example.org"]\n').replace(
        "alerts@example.org", "überwachung@example.org"
    )
    config = config_for(tmp_path, feed_server, email)
    assert f"alerts: 0 sent, {HITS} to retry" in run(config, "poll")
    assert all("email.from" in str(r["last_error"]) for r in outbox(config))
    assert scripted.messages == []


@pytest.mark.parametrize(
    ("address", "utf8", "problem"),
    [
        ("reader@example.org", False, None),
        ("Reader Name <reader@example.org>", False, None),
        ("Jürgen Müller <reader@example.org>", False, None),  # only the address goes out
        (UMLAUT, False, "SMTPUTF8"),
        (UMLAUT, True, None),
        ("reader@example.org\r\nRCPT TO:<victim@example.org>", True, "line break"),
        ("a\nb@example.org", False, "line break"),
    ],
)
def test_unsendable(address: str, utf8: bool, problem: str | None) -> None:
    reason = mail.unsendable(address, utf8=utf8)
    assert reason is None if problem is None else problem in str(reason)


# -- Hostile addresses: whatever the config says, the outcome is a MailError ---------


def test_any_recipients_end_in_an_answer_or_a_mail_error(scripted: Scripted) -> None:
    via = SmtpTransport(settings_for(scripted))
    addresses = st.text(st.characters(codec="utf-8"), max_size=30)

    @settings(max_examples=60, deadline=None)
    @given(st.lists(addresses, min_size=1, max_size=3), st.booleans())
    def sends(recipients: list[str], utf8: bool) -> None:
        scripted.extensions = ("SMTPUTF8",) if utf8 else ()
        try:
            with via.session() as session:
                assert isinstance(session, SmtpSession)
                answer = session.send(a_message(), recipients)
                # And the session is still in step: a second message goes through.
                assert session.send(a_message(), ["reader@example.org"]).startswith("250")
        except PermanentMailError:
            assert all(mail.unsendable(r, utf8=utf8) for r in recipients)
        except MailError as exc:  # pragma: no cover - the scripted server never fails
            raise AssertionError(f"unexpected {exc!r}") from exc
        else:
            assert answer.startswith("250")
            assert any(mail.unsendable(r, utf8=utf8) is None for r in recipients)

    sends()
