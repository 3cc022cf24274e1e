"""The table of settings: one row per key of ``monitor.toml``.

Validation, the README's configuration reference and a docs test all read these
tables, so a key exists in exactly one place. Keys are dotted by TOML table:
``fetch.timeout`` is ``timeout`` under ``[fetch]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

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
    "name": "a name of lowercase letters, digits, '-', '_' or '.'",
    "list": "a list of strings",
    "times": 'a list of local times such as ["08:00", "18:00"]',
    "choice": "one of the listed values",
}


@dataclass(frozen=True)
class Setting:
    key: str
    kind: str
    default: object
    help: str
    minimum: int | None = None
    choices: tuple[str, ...] = ()


USER_AGENT = f"monitor/{__version__} (news-feed watch daemon; python-httpx)"

SETTINGS: tuple[Setting, ...] = (
    Setting("database", "path", "monitor.db", "SQLite database file."),
    Setting("timezone", "timezone", "UTC", "Time zone for times shown to people."),
    Setting("watches_dir", "path", "watches", "Folder of watch files, one `*.toml` per watch."),
    Setting("fetch.concurrency", "int", 50, "Feeds fetched at the same time.", 1),
    Setting("fetch.timeout", "duration", "30s", "Hard deadline for one whole request."),
    Setting("fetch.connect_timeout", "duration", "10s", "Deadline for opening a connection."),
    Setting("fetch.max_bytes", "int", 10_000_000, "Largest feed body kept, after gzip.", 1024),
    Setting("fetch.max_redirects", "int", 5, "Redirects followed before giving up.", 0),
    Setting("fetch.user_agent", "str", USER_AGENT, "User-Agent header sent to feed servers."),
    Setting(
        "fetch.allow_networks",
        "list",
        [],
        "Private or local networks (CIDR) a feed may resolve or redirect to; a feed's own"
        " configured host is always allowed.",
    ),
    Setting("parse.workers", "int", 0, "Parser processes; 0 means one per CPU core.", 0),
    Setting("parse.timeout", "duration", "20s", "Time one feed may take to parse."),
    Setting("parse.memory_mb", "int", 1024, "Memory limit of a parser process, in MiB.", 64),
    Setting("schedule.interval", "duration", "15m", "Poll interval of feeds that set none."),
    Setting("schedule.jitter", "duration", "30s", "Random delay added to each scheduled poll."),
    Setting(
        "schedule.max_backoff", "duration", "6h", "Longest wait between tries of a failing feed."
    ),
    Setting(
        "email.smtp_host",
        "str",
        "",
        "SMTP server for alerts; empty: write them into `email.maildir` instead.",
    ),
    Setting("email.smtp_port", "int", 587, "SMTP port (465 for `tls`, 587 for `starttls`).", 1),
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
    Setting("email.to", "list", [], "Recipients of alerts (a watch can name its own)."),
    Setting("email.subject_prefix", "str", "[monitor]", "Start of every alert's subject."),
    Setting(
        "email.mode",
        "choice",
        "immediate",
        "immediate: one email per hit; digest: at `digest_at`; both.",
        choices=("immediate", "digest", "both"),
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
    Setting("email.timeout", "duration", "30s", "Deadline for one SMTP conversation."),
    Setting("email.max_backoff", "duration", "1h", "Longest wait between tries of an alert."),
    Setting("email.operator", "list", [], "Who gets dead-feed warnings; default: `email.to`."),
    Setting(
        "web.allowed_hosts",
        "list",
        [],
        "Extra Host names the review page answers to (a reverse proxy's); 127.0.0.1,"
        " localhost, [::1] and the `--host` value always are.",
    ),
    Setting("metrics.port", "int", 0, "Port of the Prometheus endpoint; 0 turns it off.", 0),
    Setting("metrics.host", "str", "127.0.0.1", "Address the Prometheus endpoint listens on."),
    Setting(
        "housekeeping.retention",
        "duration",
        "90d",
        "Entries that never matched are deleted after this long (hits are kept).",
    ),
    Setting(
        "housekeeping.dead_after", "duration", "1d", "A feed failing this long is flagged dead."
    ),
    Setting(
        "housekeeping.silent_min",
        "duration",
        "12h",
        "Shortest silence that can flag a feed, however busy it usually is.",
    ),
    Setting(
        "health.max_age",
        "duration",
        "3m",
        "`monitor health` fails when the daemon's heartbeat is older than this.",
    ),
)

PASSWORD_ENV = "MONITOR_SMTP_PASSWORD"

FEED_SETTINGS: tuple[Setting, ...] = (
    Setting("name", "name", None, "Unique name of the feed (required)."),
    Setting("url", "url", None, "Address of the RSS, Atom or RDF feed (required)."),
    Setting(
        "language", "str", None, "Language of the entries if the feed declares none: de, en, ko."
    ),
    Setting("interval", "duration", None, "Poll interval; default `schedule.interval`."),
    Setting("enabled", "bool", True, "Set to false to keep the feed but stop polling it."),
    Setting(
        "outlet",
        "str",
        None,
        "Who publishes it; entries are de-duplicated per outlet. Default: the URL's host.",
    ),
)

REQUIRED_FEED_KEYS = frozenset({"name", "url"})

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """``"15m"`` -> 15 minutes. Raises ``ValueError`` for anything else."""
    found = _DURATION.match(text)
    if not found:
        raise ValueError(f"not a duration: {text!r}")
    return timedelta(seconds=float(found.group(1)) * _UNITS[found.group(2)])


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

    rows = ["| key | kind | default | what it does |", "|---|---|---|---|"]
    rows += [f"| `{s.key}` | {s.kind} | {shown(s.default)} | {s.help} |" for s in settings]
    return "\n".join(rows)
