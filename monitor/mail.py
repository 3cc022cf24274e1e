"""Hand messages to an SMTP server, or write them into a Maildir. The only module that
imports smtplib and mailbox.

Every outcome is one of: delivered (with the server's answer), ``TransientMailError``
(keep the alert queued and retry) or ``PermanentMailError`` (a 5xx answer: give up on
it, keep the answer). The conversation is driven step by step (MAIL, RCPT, DATA) so
that each answer is known.
"""

from __future__ import annotations

import mailbox
import os
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Protocol

from monitor.errors import PermanentMailError, TransientMailError


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str  # none, starttls, tls
    username: str
    password: str | None
    sender: str
    timeout: float
    ca_file: Path | None = None


class Session(Protocol):
    def send(self, message: EmailMessage, recipients: list[str]) -> str:
        """Deliver one message; returns the server's answer, raises ``MailError``."""


class Transport(Protocol):
    def session(self) -> AbstractContextManager[Session]: ...

    @property
    def describe(self) -> str: ...


class MaildirTransport:
    """Alerts as standard messages in a Maildir that any mail client opens."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def describe(self) -> str:
        return f"Maildir {self.path}"

    @contextmanager
    def session(self) -> Iterator[MaildirTransport]:
        yield self

    def send(self, message: EmailMessage, recipients: list[str]) -> str:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            key = mailbox.Maildir(self.path, create=True).add(message)
        except OSError as exc:
            raise TransientMailError(f"cannot write to the Maildir {self.path}: {exc}") from exc
        return f"written to {self.path / 'new' / key}"


class SmtpTransport:
    """One SMTP connection per delivery round, reused for every message in it."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    @property
    def describe(self) -> str:
        s = self.settings
        return f"SMTP {s.host}:{s.port} ({s.security})"

    def _context(self) -> ssl.SSLContext:
        ca = self.settings.ca_file
        return ssl.create_default_context(cafile=str(ca) if ca else None)

    @contextmanager
    def session(self) -> Iterator[SmtpSession]:
        s = self.settings
        where = f"{s.host}:{s.port}"
        try:
            if s.security == "tls":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=s.timeout, context=self._context()
                )
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            with smtp:
                smtp.ehlo()
                if s.security == "starttls":
                    smtp.starttls(context=self._context())
                    smtp.ehlo()
                if s.username:
                    smtp.login(s.username, s.password or "")
                yield SmtpSession(smtp, s.sender)
        except smtplib.SMTPAuthenticationError as exc:
            raise TransientMailError(
                f"{where} refused the login ({exc.smtp_code} {_text(exc.smtp_error)}); "
                f"check email.username and {PASSWORD_HINT}",
                session=True,
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise TransientMailError(
                f"{where} does not offer STARTTLS; set email.security to match the server",
                session=True,
            ) from exc
        except ssl.SSLError as exc:
            raise TransientMailError(
                f"TLS with {where} failed ({exc.reason or exc}); check email.security "
                "(tls for port 465, starttls for 587) and email.ca_file",
                session=True,
            ) from exc
        except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError) as exc:
            raise TransientMailError(
                f"cannot talk to the SMTP server {where}: {exc or type(exc).__name__}",
                session=True,
            ) from exc
        except smtplib.SMTPResponseException as exc:
            answer = f"{exc.smtp_code} {_text(exc.smtp_error)}"
            raise _by_code(exc.smtp_code, f"{where} answered {answer}", session=True) from exc


PASSWORD_HINT = "the MONITOR_SMTP_PASSWORD environment variable"


class SmtpSession:
    def __init__(self, smtp: smtplib.SMTP, sender: str) -> None:
        self.smtp = smtp
        self.sender = sender

    def send(self, message: EmailMessage, recipients: list[str]) -> str:
        smtp = self.smtp
        try:
            code, answer = smtp.mail(self.sender)
            if code != 250:
                raise _by_code(code, f"sender {self.sender} refused: {code} {_text(answer)}")
            refused: list[tuple[str, int, str]] = []
            for rcpt in recipients:
                code, answer = smtp.rcpt(rcpt)
                if code not in (250, 251):
                    refused.append((rcpt, code, _text(answer)))
            if len(refused) == len(recipients):
                smtp.rset()
                temporary = [r for r in refused if 400 <= r[1] < 500]
                worst = temporary[0] if temporary else refused[0]
                words = "; ".join(f"{r}: {c} {t}" for r, c, t in refused)
                raise _by_code(worst[1], f"recipients refused: {words}")
            code, answer = smtp.data(message.as_bytes(policy=SMTP))
            if code != 250:
                smtp.rset()
                raise _by_code(code, f"message refused: {code} {_text(answer)}")
        except (TimeoutError, smtplib.SMTPServerDisconnected, OSError) as exc:
            raise TransientMailError(f"connection lost: {exc}", session=True) from exc
        note = f"{code} {_text(answer)}"
        if refused:
            note += "; refused: " + "; ".join(f"{r}: {c} {t}" for r, c, t in refused)
        return note


def _text(answer: bytes | str) -> str:
    text = answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)
    return " ".join(text.split())


def _by_code(
    code: int, message: str, session: bool = False
) -> TransientMailError | PermanentMailError:
    """A 5xx answer is permanent; anything else unexpected (4xx above all) is worth a retry."""
    if code >= 500:
        return PermanentMailError(message)
    return TransientMailError(message, session=session)


def password() -> str | None:
    return os.environ.get("MONITOR_SMTP_PASSWORD")
