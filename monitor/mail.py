"""Hand messages to an SMTP server, or write them into a Maildir. The only module that
imports smtplib and mailbox.

Every outcome is one of: delivered (with the server's answer), ``TransientMailError``
(keep the alert queued and retry) or ``PermanentMailError`` (a 5xx answer: give up on
it, keep the answer). The conversation is driven step by step (MAIL, RCPT, DATA) so
that each answer is known. A 5xx before the first message (to STARTTLS, say) concerns
the server or the config, not an alert: it is transient, like a failed login.

Two things are settled before a word is sent. A login only ever goes over TLS: with
``email.security = "none"`` smtplib would send the password in clear, so a username
there is refused. And an address smtplib cannot put into a command (a line break; a
non-ASCII address on a server without SMTPUTF8) is that recipient's refusal: smtplib
would raise ``ValueError`` halfway through the conversation and end the whole round.

smtplib's exceptions are ``OSError`` subclasses, so each ``except OSError`` below comes
after the clause for the server's answers; otherwise a refusal reads as a lost connection.
"""

from __future__ import annotations

import mailbox
import os
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP, SMTPUTF8
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
        if s.username and s.security == "none":
            raise TransientMailError(
                f"not logging in to {where} as {s.username} over an unencrypted connection: "
                'set email.security to "starttls" or "tls", or clear email.username if the '
                "server needs no login",
                session=True,
            )
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
                    if not smtp.has_extn("starttls"):
                        raise TransientMailError(
                            f"{where} does not offer STARTTLS; set email.security to match "
                            "the server",
                            session=True,
                        )
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
        except smtplib.SMTPNotSupportedError as exc:  # only login raises it: STARTTLS is checked
            raise TransientMailError(
                f"{where} offers no login (AUTH); clear email.username if it needs none",
                session=True,
            ) from exc
        except ssl.SSLError as exc:
            raise TransientMailError(
                f"TLS with {where} failed ({exc.reason or exc}); check email.security "
                "(tls for port 465, starttls for 587) and email.ca_file",
                session=True,
            ) from exc
        except smtplib.SMTPResponseException as exc:  # the greeting, STARTTLS or AUTH refused
            answer = f"{exc.smtp_code} {_text(exc.smtp_error)}"
            raise TransientMailError(f"{where} answered {answer}", session=True) from exc
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise TransientMailError(
                f"cannot talk to the SMTP server {where}: {exc or type(exc).__name__}",
                session=True,
            ) from exc


PASSWORD_HINT = "the MONITOR_SMTP_PASSWORD environment variable"


class SmtpSession:
    def __init__(self, smtp: smtplib.SMTP, sender: str) -> None:
        self.smtp = smtp
        self.sender = sender

    def send(self, message: EmailMessage, recipients: list[str]) -> str:
        smtp = self.smtp
        offered = smtp.has_extn("smtputf8")
        problem = unsendable(self.sender, utf8=offered)
        if problem:  # the same for every message: the config must change, the alerts wait
            raise TransientMailError(
                f"cannot send from email.from {self.sender!r}: {problem}", session=True
            )
        checked = [(r, unsendable(r, utf8=offered)) for r in recipients]
        # (address, code for _by_code, what to report); a local refusal counts as a 553
        refused = [(r, 553, f"not sent: {problem}") for r, problem in checked if problem]
        sendable = [r for r, problem in checked if not problem]
        if not sendable:
            raise PermanentMailError("recipients refused: " + _listed(refused))
        utf8 = not all(smtplib.quoteaddr(a).isascii() for a in [self.sender, *sendable])
        try:
            code, answer = smtp.mail(self.sender, ["SMTPUTF8"] if utf8 else [])
            if code != 250:
                raise _by_code(code, f"sender {self.sender} refused: {code} {_text(answer)}")
            for rcpt in sendable:
                code, answer = smtp.rcpt(rcpt)
                if code not in (250, 251):
                    refused.append((rcpt, code, f"{code} {_text(answer)}"))
            if len(refused) == len(recipients):
                smtp.rset()
                temporary = [r for r in refused if 400 <= r[1] < 500]
                worst = temporary[0] if temporary else refused[0]
                raise _by_code(worst[1], "recipients refused: " + _listed(refused))
            code, answer = smtp.data(message.as_bytes(policy=SMTPUTF8 if utf8 else SMTP))
            if code != 250:
                smtp.rset()
                raise _by_code(code, f"message refused: {code} {_text(answer)}")
        except smtplib.SMTPResponseException as exc:  # DATA refused before the message
            said = f"{exc.smtp_code} {_text(exc.smtp_error)}"
            if smtp.sock is None:  # smtplib hung up itself (a reply line over 8 KiB)
                raise TransientMailError(f"connection lost: {said}", session=True) from exc
            with suppress(OSError):  # if the connection is gone, the next message says so
                smtp.rset()
            raise _by_code(exc.smtp_code, f"message refused: {said}") from exc
        except (TimeoutError, smtplib.SMTPServerDisconnected, OSError) as exc:
            raise TransientMailError(f"connection lost: {exc}", session=True) from exc
        note = f"{code} {_text(answer)}"
        if refused:
            note += "; refused: " + _listed(refused)
        return note


def unsendable(address: str, *, utf8: bool) -> str | None:
    """Why smtplib cannot put ``address`` into a MAIL or RCPT command, or None.

    ``utf8``: the server offers SMTPUTF8. smtplib sends only the address part
    (``quoteaddr``), so a display name may be anything but a line break, which that part
    would silently drop: "a\nb@example.org" would go to ab@example.org.
    """
    if "\r" in address or "\n" in address:
        return "the address contains a line break"
    wire = smtplib.quoteaddr(address)
    try:
        wire.encode("utf-8" if utf8 else "ascii")
    except UnicodeEncodeError:
        return (
            "the address is not valid text"
            if utf8
            else "the address is not ASCII, and the server does not offer SMTPUTF8"
        )
    return None


def _listed(refused: list[tuple[str, int, str]]) -> str:
    return "; ".join(f"{address}: {words}" for address, _code, words in refused)


def _text(answer: bytes | str) -> str:
    text = answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)
    return " ".join(text.split())


def _by_code(code: int, message: str) -> TransientMailError | PermanentMailError:
    """A 5xx answer is permanent; anything else unexpected (4xx above all) is worth a retry."""
    if code >= 500:
        return PermanentMailError(message)
    return TransientMailError(message)


def password() -> str | None:
    return os.environ.get("MONITOR_SMTP_PASSWORD")
