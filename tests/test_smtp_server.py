"""Self-test of tests/smtp_server.py, driven with the stdlib smtplib only."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from tests.smtp_server import SmtpServer

USER, PASSWORD = "alice", "s3cret"


def _message(subject: str = "Hit: the story", to: str = "ops@example.org") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "monitor@example.org"
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content("A story matched.\n")
    return msg


def _client_context(server: SmtpServer) -> ssl.SSLContext:
    assert server.ca_file is not None
    return ssl.create_default_context(cafile=server.ca_file)


@pytest.fixture
def plain() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def secure() -> Iterator[SmtpServer]:
    with SmtpServer(tls="starttls", auth=(USER, PASSWORD)) as server:
        yield server


def test_plain_message_arrives(plain: SmtpServer) -> None:
    assert plain.host == "127.0.0.1"
    assert plain.port > 0
    assert plain.ca_file is None
    with smtplib.SMTP(plain.host, plain.port, timeout=5) as smtp:
        smtp.send_message(_message("Hit: Ünïcode subject"))
    [received] = plain.wait_for(1)
    assert received.mail_from == "monitor@example.org"
    assert received.rcpt_tos == ["ops@example.org"]
    assert received.message["Subject"] == "Hit: Ünïcode subject"
    assert received.message.get_content() == "A story matched.\n"
    assert b"\r\nSubject: " in received.data


def test_wait_for_times_out(plain: SmtpServer) -> None:
    with pytest.raises(AssertionError, match="expected 1 message"):
        plain.wait_for(1, timeout=0.05)


def test_refused_recipient(plain: SmtpServer) -> None:
    plain.refuse["bad@example.org"] = (550, "5.1.1 no such user")
    plain.refuse["busy@example.org"] = (450, "4.2.1 mailbox busy")
    with smtplib.SMTP(plain.host, plain.port, timeout=5) as smtp:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as caught:
            smtp.send_message(_message(to="bad@example.org"))
        assert caught.value.recipients == {"bad@example.org": (550, b"5.1.1 no such user")}
        refused = smtp.send_message(_message(), to_addrs=["ops@example.org", "busy@example.org"])
    assert refused == {"busy@example.org": (450, b"4.2.1 mailbox busy")}
    [received] = plain.wait_for(1)
    assert received.rcpt_tos == ["ops@example.org"]


def test_data_reply(plain: SmtpServer) -> None:
    plain.data_reply = (451, "4.3.0 try later")
    with (
        smtplib.SMTP(plain.host, plain.port, timeout=5) as smtp,
        pytest.raises(smtplib.SMTPDataError) as caught,
    ):
        smtp.send_message(_message())
    assert caught.value.smtp_code == 451
    assert caught.value.smtp_error == b"4.3.0 try later"
    assert plain.messages == []


def test_stop_refuses_and_start_comes_back_on_same_port(plain: SmtpServer) -> None:
    port = plain.port
    idle = smtplib.SMTP(plain.host, port, timeout=5)  # still connected while stopping
    plain.stop()
    with pytest.raises(ConnectionRefusedError):
        smtplib.SMTP(plain.host, port, timeout=5)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        idle.noop()
    idle.close()
    plain.start()
    assert plain.port == port
    with smtplib.SMTP(plain.host, port, timeout=5) as smtp:
        smtp.send_message(_message())
    assert len(plain.wait_for(1)) == 1


def test_starttls_login_and_send(secure: SmtpServer) -> None:
    with smtplib.SMTP(secure.host, secure.port, timeout=5) as smtp:
        smtp.starttls(context=_client_context(secure))
        smtp.login(USER, PASSWORD)
        smtp.send_message(_message("over STARTTLS"))
    [received] = secure.wait_for(1)
    assert received.message["Subject"] == "over STARTTLS"


def test_starttls_login_mechanism(secure: SmtpServer) -> None:
    with smtplib.SMTP(secure.host, secure.port, timeout=5) as smtp:
        smtp.starttls(context=_client_context(secure))
        smtp.ehlo()
        smtp.user, smtp.password = USER, PASSWORD
        code, _ = smtp.auth("LOGIN", smtp.auth_login)
        assert code == 235


def test_wrong_password_gets_535(secure: SmtpServer) -> None:
    with smtplib.SMTP(secure.host, secure.port, timeout=5) as smtp:
        smtp.starttls(context=_client_context(secure))
        with pytest.raises(smtplib.SMTPAuthenticationError) as caught:
            smtp.login(USER, "wrong")
    assert caught.value.smtp_code == 535


def test_starttls_is_required(secure: SmtpServer) -> None:
    with (
        smtplib.SMTP(secure.host, secure.port, timeout=5) as smtp,
        pytest.raises(smtplib.SMTPSenderRefused) as caught,
    ):
        smtp.send_message(_message())
    assert caught.value.smtp_code == 530
    assert secure.messages == []


def test_auth_is_required(secure: SmtpServer) -> None:
    with smtplib.SMTP(secure.host, secure.port, timeout=5) as smtp:
        smtp.starttls(context=_client_context(secure))
        with pytest.raises(smtplib.SMTPSenderRefused) as caught:
            smtp.send_message(_message())
    assert caught.value.smtp_code == 530


def test_implicit_tls() -> None:
    with SmtpServer(tls="tls", auth=(USER, PASSWORD)) as server:
        context = _client_context(server)
        with smtplib.SMTP_SSL(server.host, server.port, context=context, timeout=5) as smtp:
            with pytest.raises(smtplib.SMTPSenderRefused) as caught:
                smtp.send_message(_message())
            assert caught.value.smtp_code == 530
            smtp.login(USER, PASSWORD)
            smtp.send_message(_message("over SMTPS"))
        [received] = server.wait_for(1)
    assert received.message["Subject"] == "over SMTPS"


def test_auth_without_tls() -> None:
    with SmtpServer(auth=(USER, PASSWORD)) as server:
        with smtplib.SMTP(server.host, server.port, timeout=5) as smtp:
            with pytest.raises(smtplib.SMTPSenderRefused) as caught:
                smtp.send_message(_message())
            assert caught.value.smtp_code == 530
            with pytest.raises(smtplib.SMTPAuthenticationError) as wrong:
                smtp.login(USER, "wrong")
            assert wrong.value.smtp_code == 535
            smtp.login(USER, PASSWORD)
            smtp.send_message(_message())
        assert len(server.wait_for(1)) == 1
