"""A real SMTP server on 127.0.0.1 for tests: aiosmtpd's Controller in a thread.

    with SmtpServer(tls="starttls", auth=("alice", "s3cret")) as server:
        ...  # point the code under test at server.host, server.port, server.ca_file
        [received] = server.wait_for(1)

``refuse`` and ``data_reply`` script refusals (RCPT TO and DATA answers), and
``stall_after`` holds every DATA after that many messages unanswered; ``stop()``
closes the listening socket and drops open connections, and ``start()`` listens
again on the same port.

aiosmtpd quirks worked around here (aiosmtpd 1.4.6):

- A Controller cannot be restarted: its thread closes the event loop on stop. So
  every ``start()`` builds a new Controller, on the port the first one bound.
- With ``port=0`` the Controller's start-up self-connection (``_trigger_server``)
  would dial port 0. ``_create_server`` (the documented extension point) records the
  real port before that connection is made.
- ``SMTP()`` built without ``loop=`` looks the loop up inside
  ``warnings.catch_warnings()``, which swaps the process-wide warning filters from
  the server thread, under pytest's feet. ``factory()`` passes the loop.
- ``auth_required=True`` with ``auth_require_tls=False`` warns (UserWarning) on every
  connection, and implicit TLS does not count as TLS for ``auth_require_tls``
  (aiosmtpd issues #274 and #281: AUTH gets 538). So only ``tls="starttls"`` uses
  aiosmtpd's own ``auth_required``; the other modes allow AUTH without STARTTLS and
  the handler's MAIL hook gives the same "530 5.7.0 Authentication required" answer.
- Stopping the Controller with a TLS client (SMTPS or after STARTTLS) still connected
  leaves its socket and transport unclosed when the loop closes (ResourceWarnings).
  ``stop()`` aborts every open connection first.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import ssl
import tempfile
import threading
import time
import weakref
from collections.abc import Awaitable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

HOST = "127.0.0.1"
_AUTH_REQUIRED = "530 5.7.0 Authentication required"  # what aiosmtpd itself answers


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes  # the raw message as received
    # Parsed with email.policy.default from ``data`` with its CRLF line ends turned into
    # "\n" (as a mailbox stores it), so get_content() gives text with "\n" line ends.
    message: EmailMessage


class _Handler:
    """aiosmtpd handler hooks; they run in the server thread."""

    def __init__(self, owner: SmtpServer) -> None:
        self._owner = owner

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        if self._owner.auth is not None and not session.authenticated:
            return _AUTH_REQUIRED
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        refusals = {addr.lower(): answer for addr, answer in self._owner.refuse.items()}
        answer = refusals.get(address.lower())
        if answer is not None:
            return f"{answer[0]} {answer[1]}"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        owner = self._owner
        if owner.stall_after is not None and len(owner.messages) >= owner.stall_after:
            owner.stalled = True
            await asyncio.sleep(60)  # the client is killed meanwhile, or gives up
            return "451 4.3.0 Took too long"
        reply = self._owner.data_reply
        if reply is not None:
            return f"{reply[0]} {reply[1]}"
        data = envelope.original_content or b""
        message = email.message_from_bytes(
            data.replace(b"\r\n", b"\n"), policy=email.policy.default
        )
        assert isinstance(message, EmailMessage)
        self._owner._record(
            Received(envelope.mail_from or "", list(envelope.rcpt_tos), data, message)
        )
        return "250 OK"


class _Controller(Controller):
    """Controller that can bind port 0 and drop its clients before it stops."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.protocols: weakref.WeakSet[SMTP] = weakref.WeakSet()

    def factory(self) -> SMTP:
        smtp = SMTP(self.handler, loop=self.loop, **self.SMTP_kwargs)
        self.protocols.add(smtp)
        return smtp

    def _create_server(self) -> Awaitable[asyncio.AbstractServer]:
        return self._bind()

    async def _bind(self) -> asyncio.AbstractServer:
        server = await self.loop.create_server(
            self._factory_invoker, host=self.hostname, port=self.port, ssl=self.ssl_context
        )
        self.port = server.sockets[0].getsockname()[1]
        return server

    async def close_all(self) -> None:
        """Stop listening and abort every open connection (in the server thread)."""
        assert self.server is not None
        self.server.close()
        for smtp in list(self.protocols):
            if isinstance(smtp.transport, asyncio.Transport):
                smtp.transport.abort()  # close() would wait for a TLS close_notify
        deadline = self.loop.time() + 2.0
        while self.loop.time() < deadline and any(p.transport for p in list(self.protocols)):
            await asyncio.sleep(0.001)
        await self.server.wait_closed()


class SmtpServer:
    """A real SMTP server on 127.0.0.1 for tests (aiosmtpd Controller in a thread)."""

    host: str = HOST

    def __init__(
        self,
        *,
        port: int = 0,
        tls: Literal["none", "starttls", "tls"] = "none",
        auth: tuple[str, str] | None = None,
    ) -> None:
        if tls not in ("none", "starttls", "tls"):
            raise ValueError(f"tls must be 'none', 'starttls' or 'tls', not {tls!r}")
        self.port = port
        self.tls = tls
        self.auth = auth
        self.messages: list[Received] = []
        self.refuse: dict[str, tuple[int, str]] = {}
        self.data_reply: tuple[int, str] | None = None
        self.stall_after: int | None = None  # after this many messages, DATA gets no answer
        self.stalled = False  # a DATA is being held
        self.ca_file: Path | None = None
        self._ssl_context: ssl.SSLContext | None = None
        self._controller: _Controller | None = None
        self._arrived = threading.Condition()
        if tls != "none":
            ca = trustme.CA()
            cert = ca.issue_cert(HOST, "localhost")
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            cert.configure_cert(context)
            self._ssl_context = context
            fd, name = tempfile.mkstemp(prefix="smtp-test-ca-", suffix=".pem")
            os.close(fd)
            ca.cert_pem.write_to_path(name)
            self.ca_file = Path(name)
            # Removed when the server object goes away (or at exit), not on stop(): a
            # stopped server keeps its certificate for the next start().
            weakref.finalize(self, self.ca_file.unlink, missing_ok=True)

    # -- lifecycle -----------------------------------------------------------------

    def start(self) -> None:
        if self._controller is not None:
            raise RuntimeError("SMTP test server already running")
        kwargs: dict[str, Any] = {}
        if self.tls == "starttls":
            kwargs.update(tls_context=self._ssl_context, require_starttls=True)
        if self.auth is not None:
            kwargs["authenticator"] = self._authenticate
            if self.tls == "starttls":
                kwargs.update(auth_required=True, auth_require_tls=True)
            else:
                # Enforced by _Handler.handle_MAIL instead; see the module docstring.
                kwargs["auth_require_tls"] = False
        controller = _Controller(
            _Handler(self),
            hostname=HOST,
            port=self.port,
            ssl_context=self._ssl_context if self.tls == "tls" else None,
            server_hostname="localhost",  # else SMTP() calls socket.getfqdn() per connection
            **kwargs,
        )
        try:
            controller.start()
        except BaseException:
            controller.stop(no_assert=True)
            if not controller.loop.is_closed():
                controller.loop.close()
            raise
        self.port = controller.port
        self._controller = controller

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is None:
            return
        future = asyncio.run_coroutine_threadsafe(controller.close_all(), controller.loop)
        future.result(timeout=5)
        controller.stop()

    def __enter__(self) -> SmtpServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- messages ------------------------------------------------------------------

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Block until at least ``count`` messages arrived; AssertionError if not."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"expected {count} message(s) within {timeout}s, got {len(self.messages)}"
                    )
                self._arrived.wait(left)
            return list(self.messages)

    def _record(self, received: Received) -> None:
        with self._arrived:
            self.messages.append(received)
            self._arrived.notify_all()

    def _authenticate(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        mechanism: str,
        auth_data: object,
    ) -> AuthResult:
        # Only the built-in PLAIN and LOGIN exist; a failure gets aiosmtpd's 535.
        assert self.auth is not None
        user, password = self.auth
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user.encode()
            and auth_data.password == password.encode()
        )
        return AuthResult(success=ok, handled=False)
