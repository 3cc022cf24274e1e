"""Push notifications through Apprise: the only module that imports apprise.

    configured URL ("ntfys://ntfy.sh/$TOPIC") -> expand $NAME from the environment
        -> Apprise service (timeouts of notify.timeout) -> notify(title, body, TEXT)
        -> Answer(ok, the service's words)

A URL is kept as configured everywhere (the config, the outbox's ``channel`` column);
only ``Channel`` expands it, at send time, so a secret lives in the environment alone.
``$NAME`` and ``${NAME}`` are replaced, ``$$`` is a literal ``$``, and a value goes in as
it is (a password with ``@`` or ``/`` in it is written percent-encoded, as in any URL).

Every outcome is one of: a ``NotifyError`` (the URL cannot be used as it stands: a
variable is not set, Apprise does not know the URL; the alert waits for the fix), or an
``Answer``: ok, or refused with the reason Apprise logged (it returns only True or
False, and says why in its log: calls are taken one at a time, and what Apprise logs
during one is that call's reason, kept out of monitor's log until the caller says it).
Apprise paces the calls to one service itself (5.5 seconds apart for ntfy and others
that set no pace of their own), so a burst of alerts to one channel takes a while.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import apprise

from monitor.errors import MonitorError

log = logging.getLogger(__name__)

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_REFERENCE = re.compile(rf"\$(?:\{{({_NAME})\}}|({_NAME})|(\$))")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://(.*)", re.DOTALL)
_HOSTNAME = re.compile(r"localhost|\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_VARIABLE = re.compile(rf"\$(\{{{_NAME}\}}|{_NAME})")
EXAMPLE = "ntfys://ntfy.sh/$NTFY_TOPIC"


class NotifyError(MonitorError):
    """A notification URL cannot be used as it stands: a ``$NAME`` is not set, or Apprise
    cannot make a service of it. Nothing was sent; the alert stays pending."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"notify URL {label(url)}: {reason}")
        self.reason = reason


@dataclass(frozen=True)
class Answer:
    """What one channel said to one notification: ``ok``, or the reason it refused."""

    ok: bool
    text: str


def variables(url: str) -> list[str]:
    """The names a URL reads from the environment, in order, each once."""
    found = (m.group(1) or m.group(2) for m in _REFERENCE.finditer(url))
    return list(dict.fromkeys(name for name in found if name))


def expand(url: str, env: Mapping[str, str]) -> str:
    """``url`` with every ``$NAME`` replaced from ``env``, in one pass (a value that
    holds ``$X`` stays so). A name not set, or set empty, is a ``NotifyError`` naming it."""
    missing = [name for name in variables(url) if not env.get(name)]
    if missing:
        names = ", ".join("$" + name for name in missing)
        verb = "is" if len(missing) == 1 else "are"
        raise NotifyError(url, f"{names} {verb} not set in the environment")

    def value(match: re.Match[str]) -> str:
        return "$" if match.group(3) else env[match.group(1) or match.group(2)]

    return _REFERENCE.sub(value, url)


def url_problem(url: object) -> str | None:
    """Why ``url`` is not a notification URL as a config may hold it, or None.

    Only the form is checked (``scheme://...``, no space or control character, every
    ``${`` closed): the service and its variables are checked when it is used."""
    if not isinstance(url, str) or not _SCHEME.fullmatch(url):
        return f"expected an Apprise URL such as {EXAMPLE!r}"
    if any(c.isspace() or not c.isprintable() for c in url):
        return "a notification URL has no spaces or control characters"
    if "${" in _REFERENCE.sub("", url):
        return "'${' without a name and a closing '}' (write $$ for a literal $)"
    return None


def label(url: str) -> str:
    """The URL as the outbox and the CLI show it: scheme and server, never a token.

    Many services put a token where a server would stand (``tgram://TOKEN/CHAT``), so
    the part after ``://`` is shown only when it is a host name with a dot, an address
    or ``localhost`` (with its port), or a ``$NAME``; anything else is an ellipsis."""
    match = _SCHEME.fullmatch(url)
    if not match:
        return "(not a URL)"
    scheme, rest = match.groups()
    netloc = re.split(r"[/?#]", rest, maxsplit=1)[0]
    _, at, hostport = netloc.rpartition("@")
    if hostport.startswith("[") and "]" in hostport:  # an IPv6 address, [::1]:8080
        host, _, port = hostport.partition("]")
        host, port = host + "]", port.removeprefix(":")
    else:
        host, _, port = hostport.partition(":")
    if not (_HOSTNAME.fullmatch(host) or _VARIABLE.fullmatch(host)):
        return f"{scheme}://…"
    more = rest[len(netloc) :].strip("/") != ""
    port = f":{port}" if port.isdigit() else ""
    return f"{scheme}://{'…@' if at else ''}{host}{port}{'/…' if more else ''}"


class Channel:
    """One configured URL made ready to send: its variables expanded, its service loaded.

    Raises ``NotifyError`` when that cannot be done. ``timeout`` bounds the connection
    and each wait for the service's answer."""

    def __init__(self, url: str, *, timeout: float, env: Mapping[str, str] | None = None):
        self.url = url
        self.label = label(url)
        env = os.environ if env is None else env
        expanded = expand(url, env)
        # Values are put back as $NAME in whatever the service answers (ntfy names the
        # topic it refused), so an error stored in the outbox holds no secret either.
        self._secrets = {env[n]: "$" + n for n in variables(url) if len(env[n]) >= 4}
        self._asset = apprise.AppriseAsset(
            app_id="monitor", storage_mode=apprise.PersistentStoreMode.MEMORY
        )
        with _captured() as capture:
            service = apprise.Apprise.instantiate(expanded, asset=self._asset)
        self._debug(capture)
        if service is None:
            why = self._redact("; ".join(capture.reasons()))
            why = why or "an unknown scheme, or a part missing"
            raise NotifyError(url, f"Apprise cannot use it: {why}")
        service.socket_connect_timeout = timeout
        service.socket_read_timeout = timeout
        self._service = service

    def send(self, title: str, body: str) -> Answer:
        """Send one plain-text notification; never raises."""
        sender = apprise.Apprise(asset=self._asset)
        sender.add(self._service)
        said: list[str] = []
        with _captured() as capture:
            try:
                ok = bool(
                    sender.notify(body=body, title=title, body_format=apprise.NotifyFormat.TEXT)
                )
            except Exception as exc:  # a plugin's bug is this channel's failure, not the round's
                ok = False
                said.append(f"{type(exc).__name__}: {exc}")
        self._debug(capture)
        if ok:
            return Answer(True, "ok")
        reason = " ".join("; ".join(dict.fromkeys(capture.reasons() + said)).split())
        return Answer(False, self._redact(reason) or "not accepted (Apprise gave no reason)")

    def _debug(self, capture: _Capture) -> None:
        for record in capture.records:
            log.debug("apprise %s: %s", record.levelname.lower(), self._redact(record.getMessage()))

    def _redact(self, text: str) -> str:
        for secret, name in sorted(self._secrets.items(), key=lambda s: -len(s[0])):
            text = text.replace(secret, name)
        return text


class _Capture(logging.Handler):
    """What Apprise logs while one call runs: its warnings are the reason for a False."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def reasons(self) -> list[str]:
        return [r.getMessage() for r in self.records if r.levelno >= logging.WARNING]


# Apprise 2 runs a service in a worker thread of its own, so what it logs cannot be told
# apart by thread: calls are taken one at a time instead, and what is logged meanwhile
# is that call's.
_ONE_CALL = threading.Lock()


@contextmanager
def _captured() -> Iterator[_Capture]:
    """One Apprise call at a time, with what it logs kept from the log: the caller says
    it once, in its own words (Apprise's lines stay at debug level, ``-vv``).

    Apprise's first call loads its plugins, and the e-mail plugin imports ``imghdr``,
    deprecated on Python 3.11 and 3.12 (Apprise shims it where it is gone): a warning
    about Apprise, not one for monitor's users."""
    capture = _Capture()
    logger = logging.getLogger(apprise.LOGGER_NAME)
    with _ONE_CALL, warnings.catch_warnings():
        warnings.filterwarnings("ignore", "'imghdr' is deprecated", DeprecationWarning)
        logger.addHandler(capture)
        propagate, logger.propagate = logger.propagate, False
        try:
            yield capture
        finally:
            logger.propagate = propagate
            logger.removeHandler(capture)
