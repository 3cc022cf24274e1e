"""The table of settings: one row per key of ``monitor.toml``.

Validation, the README's configuration reference and a docs test all read these
tables, so a key exists in exactly one place. Keys are dotted by TOML table:
``fetch.timeout`` is ``timeout`` under ``[fetch]``. A row's ``minimum`` and ``maximum``
(a number, or a duration such as ``"1m"``) are both what ``config`` accepts and what the
README's "allowed" column says, so the two cannot disagree.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from ipaddress import ip_address, ip_network

from monitor import __version__

#: How each kind of value is written in the file, for messages and docs.
KINDS = {
    "str": "a string",
    "int": "a whole number",
    "bool": "true or false",
    "duration": 'a duration such as "90s", "15m", "2h" or "1d"',
    "path": "a path (relative paths resolve against the config file's folder)",
    "timezone": 'an IANA time zone such as "Europe/Berlin"',
    "url": "an http:// or https:// URL",
    "page_url": "empty, or the http:// or https:// address of a page such as"
    ' "https://monitor.example.org"',
    "name": "a name of lowercase letters, digits, '-', '_' or '.'",
    "list": "a list of strings",
    "networks": 'a list of CIDR networks such as ["192.168.1.0/24"]',
    "hosts": 'a list of host names such as ["news.example.org"]',
    "addresses": 'a list of email addresses such as ["desk@example.org"]',
    "times": 'a list of local times such as ["08:00", "18:00"]',
    "choice": "one of the listed values",
}


@dataclass(frozen=True)
class Setting:
    key: str
    kind: str
    default: object
    help: str
    minimum: int | str | None = None  # an int, or for a duration the text of one ("1m")
    maximum: int | str | None = None
    choices: tuple[str, ...] = ()
    # Poll intervals only: the floor for a feed on this machine. ``minimum`` protects
    # other people's servers; one's own (a local bridge, a test server) may be asked more.
    local_minimum: str | None = None


USER_AGENT = f"monitor/{__version__} (news-feed watch daemon; python-httpx)"
INTERVAL_RANGE = ("1m", "7d")  # poll intervals, both schedule.interval and a feed's own
LOCAL_INTERVAL = "1s"  # ... and for a feed on this machine (LOCAL_HOSTS)
#: Where a feed counts as on this machine: a loopback address or the name localhost.
LOCAL_HOSTS = "127.0.0.1, ::1 or localhost"

SETTINGS: tuple[Setting, ...] = (
    Setting("database", "path", "monitor.db", "SQLite database file."),
    Setting("timezone", "timezone", "UTC", "Time zone for times shown to people."),
    Setting("watches_dir", "path", "watches", "Folder of watch files, one `*.toml` per watch."),
    Setting("fetch.concurrency", "int", 50, "Feeds fetched at the same time.", 1),
    Setting(
        "fetch.timeout", "duration", "30s", "Hard deadline for one whole request.", "1s", "10m"
    ),
    Setting(
        "fetch.connect_timeout",
        "duration",
        "10s",
        "Deadline for opening a connection.",
        "1s",
        "10m",
    ),
    Setting("fetch.max_bytes", "int", 10_000_000, "Largest feed body kept, after gzip.", 1024),
    Setting("fetch.max_redirects", "int", 5, "Redirects followed before giving up.", 0, 20),
    Setting("fetch.user_agent", "str", USER_AGENT, "User-Agent header sent to feed servers."),
    Setting(
        "fetch.allow_networks",
        "networks",
        [],
        "Private or local networks (CIDR) a feed may resolve or redirect to; a feed's own"
        " configured host is always allowed.",
    ),
    Setting("parse.workers", "int", 0, "Parser processes; 0 means one per CPU core.", 0, 256),
    Setting("parse.timeout", "duration", "20s", "Time one feed may take to parse.", "1s", "10m"),
    Setting(
        "parse.memory_mb",
        "int",
        1024,
        "Memory limit of a parser process, in MiB.",
        64,
        1_048_576,
    ),
    Setting(
        "schedule.interval",
        "duration",
        "15m",
        "Poll interval of feeds that set none; never under a minute, so that a typo cannot"
        " hammer a feed server.",
        *INTERVAL_RANGE,
        local_minimum=LOCAL_INTERVAL,
    ),
    Setting(
        "schedule.reload",
        "bool",
        True,
        "Re-read the config and watch files when they change, without a restart (SIGHUP"
        " re-reads them whatever this says).",
    ),
    Setting(
        "schedule.jitter",
        "duration",
        "30s",
        "Random delay added to each scheduled poll.",
        "0s",
        "1h",
    ),
    Setting(
        "schedule.adaptive",
        "bool",
        True,
        "Poll each feed by its own rhythm: busy feeds and busy hours more often, quiet ones"
        " less, within `min_interval` and `max_interval`, at no more requests a day than the"
        " fixed intervals; off: every feed at its `interval`.",
    ),
    Setting(
        "schedule.min_interval",
        "duration",
        "2m",
        "Shortest wait between polls of a busy feed (a feed whose `interval` is shorter"
        " keeps that).",
        "1m",
        "7d",
    ),
    Setting(
        "schedule.max_interval",
        "duration",
        "2h",
        "Longest wait between polls of a quiet feed, and the most a server's `ttl`,"
        " `max-age` or `Expires` can delay the next poll (a longer `interval` keeps that).",
        "1m",
        "7d",
    ),
    Setting(
        "schedule.max_backoff",
        "duration",
        "6h",
        "Longest wait between tries of a failing feed.",
        "1m",
        "7d",
    ),
    Setting(
        "email.smtp_host",
        "str",
        "",
        "SMTP server for alerts; empty: write them into `email.maildir` instead.",
    ),
    Setting(
        "email.smtp_port", "int", 587, "SMTP port (465 for `tls`, 587 for `starttls`).", 1, 65535
    ),
    Setting(
        "email.security",
        "choice",
        "starttls",
        "How to secure the SMTP connection: none, starttls or tls.",
        choices=("none", "starttls", "tls"),
    ),
    Setting(
        "email.username", "str", "", "SMTP login; the password comes from MONITOR_SMTP_PASSWORD."
    ),
    Setting(
        "email.ca_file", "path", "", "Extra CA certificate (PEM) to trust, for a private server."
    ),
    Setting("email.from", "str", "monitor@localhost", "Sender address of alerts."),
    Setting("email.to", "addresses", [], "Recipients of alerts (a watch can name its own)."),
    Setting("email.subject_prefix", "str", "[monitor]", "Start of every alert's subject."),
    Setting(
        "email.mode",
        "choice",
        "immediate",
        "immediate: one email per hit; digest: at `digest_at`; both.",
        choices=("immediate", "digest", "both"),
    ),
    Setting(
        "email.per",
        "choice",
        "story",
        "story: one immediate email per new story and per new figure, other articles in the"
        " digest; article: one per hit.",
        choices=("story", "article"),
    ),
    Setting("email.digest_at", "times", ["08:00", "18:00"], "Local times of the digest email."),
    Setting(
        "email.max_per_hour", "int", 20, "Above this, immediate alerts wait for the digest.", 1
    ),
    Setting(
        "email.maildir",
        "path",
        "",
        "Maildir for alerts without SMTP; default: beside the database.",
    ),
    Setting("email.timeout", "duration", "30s", "Deadline for one SMTP conversation.", "1s", "10m"),
    Setting(
        "email.max_backoff", "duration", "1h", "Longest wait between tries of an alert.", "1m", "7d"
    ),
    Setting("email.operator", "addresses", [], "Who gets dead-feed warnings; default: `email.to`."),
    Setting(
        "alert.max_age",
        "duration",
        "2d",
        "A rescan queues no alert for an entry published (or first seen, if earlier) longer"
        " ago than this: it becomes a hit quietly (`rescan --alert-old` alerts anyway).",
        "0s",
        "3650d",
    ),
    Setting(
        "notify.urls",
        "list",
        [],
        "Apprise URLs that get every alert as a push notification (ntfy, Gotify, Telegram,"
        " Matrix, Slack, webhooks ...); `$NAME` in a URL is read from the environment.",
    ),
    Setting("notify.timeout", "duration", "30s", "Deadline for one notification.", "1s", "10m"),
    Setting(
        "notify.max_backoff",
        "duration",
        "1h",
        "Longest wait between tries of a notification.",
        "1m",
        "7d",
    ),
    Setting(
        "web.allowed_hosts",
        "hosts",
        [],
        "Extra Host names the review page answers to (a reverse proxy's); 127.0.0.1,"
        " localhost, [::1] and the `--host` value always are.",
    ),
    Setting(
        "web.base_url",
        "page_url",
        "",
        "Address of the review page as the reader's browser reaches it; set, every alert"
        " links its hits (`BASE/hits/ID`) and stories (`BASE/stories/ID`) there.",
    ),
    Setting("metrics.port", "int", 0, "Port of the Prometheus endpoint; 0 turns it off.", 0, 65535),
    Setting("metrics.host", "str", "127.0.0.1", "Address the Prometheus endpoint listens on."),
    Setting(
        "housekeeping.retention",
        "duration",
        "90d",
        "Entries that never matched are deleted after this long (hits are kept).",
        "1d",
        "3650d",
    ),
    Setting(
        "housekeeping.dead_after",
        "duration",
        "1d",
        "A feed failing this long is flagged dead.",
        "1h",
        "365d",
    ),
    Setting(
        "housekeeping.silent_min",
        "duration",
        "12h",
        "Shortest silence that can flag a feed, however busy it usually is.",
        "1h",
        "365d",
    ),
    Setting(
        "health.max_age",
        "duration",
        "3m",
        "`monitor health` fails when the daemon's heartbeat is older than this.",
        "1m",  # the daemon writes a heartbeat every 30 seconds
        "1d",
    ),
)

PASSWORD_ENV = "MONITOR_SMTP_PASSWORD"

FEED_SETTINGS: tuple[Setting, ...] = (
    Setting("name", "name", None, "Unique name of the feed (required)."),
    Setting("url", "url", None, "Address of the feed: RSS, Atom, RDF or JSON Feed (required)."),
    Setting(
        "language", "str", None, "Language of the entries if the feed declares none: de, en, ko."
    ),
    Setting(
        "interval",
        "duration",
        None,
        "Poll interval; default `schedule.interval`.",
        *INTERVAL_RANGE,
        local_minimum=LOCAL_INTERVAL,
    ),
    Setting(
        "adaptive",
        "bool",
        None,
        "Poll by the feed's own rhythm; default `schedule.adaptive`.",
    ),
    Setting(
        "min_interval",
        "duration",
        None,
        "Shortest wait between polls; default `schedule.min_interval`.",
        "1m",
        "7d",
    ),
    Setting(
        "max_interval",
        "duration",
        None,
        "Longest wait between polls; default `schedule.max_interval`.",
        "1m",
        "7d",
    ),
    Setting("enabled", "bool", True, "Set to false to keep the feed but stop polling it."),
    Setting(
        "outlet",
        "str",
        None,
        "Who publishes it; entries are de-duplicated per outlet. Default: the publisher the"
        " feed's title names, chosen at its first successful poll.",
    ),
)

REQUIRED_FEED_KEYS = frozenset({"name", "url"})

# ASCII digits only (\d would take "١٥m"), spaces only around (a "\n" is no duration).
_DURATION = re.compile(r" *([0-9]+(?:\.[0-9]+)?) *(ms|s|m|h|d) *")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


class DurationTooLong(ValueError):
    """Written as a duration, but longer than a ``timedelta`` holds."""


def parse_duration(text: str) -> timedelta:
    """``"15m"`` -> 15 minutes. Raises ``ValueError`` for anything else.

    That includes durations a ``timedelta`` cannot hold ("9999999999d"), so a caller
    (the config, the CLI's ``--since``) has one exception to turn into a message."""
    found = _DURATION.fullmatch(text)
    if not found:
        raise ValueError(f"not a duration: {text!r}")
    try:
        return timedelta(seconds=float(found.group(1)) * _UNITS[found.group(2)])
    except OverflowError:  # beyond timedelta's 999,999,999 days (or float's range)
        raise DurationTooLong(f"not a duration: {text!r} is too long") from None


def allowed(setting: Setting) -> str:
    """The values a setting takes beyond its kind, as docs and messages say it: "1m to 7d"."""
    if setting.choices:
        return ", ".join(setting.choices)

    def written(bound: int | str) -> str:  # as TOML takes it: 1_048_576
        return f"{bound:_}" if isinstance(bound, int) and bound > 99_999 else str(bound)

    low, high = setting.minimum, setting.maximum
    if low is not None and high is not None:
        text = f"{written(low)} to {written(high)}"
    elif low is not None:
        text = f"at least {written(low)}"
    elif high is not None:
        text = f"at most {written(high)}"
    else:
        return ""
    if setting.local_minimum:
        text += f" ({setting.local_minimum} for a feed on {LOCAL_HOSTS})"
    return text


def shown(value: object) -> str:
    """A value as a message quotes it: its repr, cut short (a file may hold a megabyte)."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def has_control(text: str) -> bool:
    """Line breaks, tabs, NUL...: nothing a header, a path or a name may carry."""
    return any(unicodedata.category(c) == "Cc" for c in text)


def is_address(text: str) -> bool:
    """``desk@example.org`` or ``Desk <desk@example.org>``: an address mail can go to.

    Control characters are refused: a line break would start a new mail header."""
    if has_control(text):
        return False
    text = text.strip()
    if text.endswith(">") and "<" in text:
        text = text[text.rindex("<") + 1 : -1]
    local, at, domain = text.rpartition("@")
    return bool(local and at and domain) and not any(c in text for c in " <>,;")


_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)", re.IGNORECASE)


def is_host(text: str) -> bool:
    """A name the ``Host`` header can carry: a DNS name, ``*.`` and one, an IPv4 address,
    or an IPv6 address in brackets. No scheme, port or path: those are not host names."""
    if text.startswith("[") and text.endswith("]"):
        try:
            ip_address(text[1:-1])
        except ValueError:
            return False
        return ":" in text
    name = text.removeprefix("*.")
    return len(name) <= 253 and all(_LABEL.fullmatch(label) for label in name.split("."))


def is_network(text: str) -> bool:
    """``192.168.1.0/24``, ``fd00::/8`` or a bare address (its own /32 or /128)."""
    try:
        ip_network(text.strip(), strict=False)
    except ValueError:
        return False
    return True


#: List kinds whose every item is checked: the test, and what an item should be.
ITEMS: dict[str, tuple[Callable[[str], bool], str]] = {
    "networks": (is_network, 'a CIDR network such as "192.168.1.0/24"'),
    "hosts": (is_host, 'a host name such as "news.example.org" (no scheme, port or path)'),
    "addresses": (is_address, 'an email address such as "desk@example.org"'),
}


def markdown_table(settings: tuple[Setting, ...]) -> str:
    """The README's reference table for a group of settings (a docs test keeps them equal)."""

    def shown(value: object) -> str:
        if value is None:
            return "—"
        if isinstance(value, bool):
            return "`" + str(value).lower() + "`"
        if isinstance(value, list):
            return "`[" + ", ".join(f'"{v}"' for v in value) + "]`"
        if isinstance(value, int):
            return f"`{value:_}`" if value > 9999 else f"`{value}`"
        return f'`"{value}"`'

    rows = ["| key | kind | default | allowed | what it does |", "|---|---|---|---|---|"]
    rows += [
        f"| `{s.key}` | {s.kind} | {shown(s.default)} | {allowed(s)} | {s.help} |" for s in settings
    ]
    return "\n".join(rows)
