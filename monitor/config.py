"""Read and validate ``monitor.toml`` and its watch files into one ``Config``.

Every problem is collected (file, key path, what was expected) and reported at once
as a ``ConfigError``; nothing a file holds raises anything else. Numbers and durations
keep to the range their row of the settings table states (poll intervals at least a
minute, except for a feed on this machine), and with SMTP set up every watch that alerts
must have recipients. Relative paths resolve against the config file's folder, the
same for every path key, so the config works from any working directory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from ipaddress import ip_address
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from monitor.errors import ConfigError
from monitor.records import FeedConfig
from monitor.settings import (
    FEED_SETTINGS,
    ITEMS,
    KINDS,
    REQUIRED_FEED_KEYS,
    SETTINGS,
    DurationTooLong,
    Setting,
    allowed,
    has_control,
    parse_duration,
    shown,
)
from monitor.watch import WatchSpec, load_watches, read_toml

DEFAULT_PATH = Path("config/monitor.toml")
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]*")  # fullmatch: "$" would let a trailing "\n" in
_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
_SECRET_HINTS = ("password", "secret", "token")


@dataclass(frozen=True)
class Config:
    path: Path
    values: dict[str, Any]  # every key of SETTINGS, validated and converted
    feeds: tuple[FeedConfig, ...]
    watches: tuple[WatchSpec, ...]

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    @property
    def database(self) -> Path:
        return Path(self.values["database"])

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.values["timezone"])

    def seconds(self, key: str) -> float:
        return float(self.values[key].total_seconds())

    @property
    def enabled_feeds(self) -> list[FeedConfig]:
        return [f for f in self.feeds if f.enabled]


def load(path: Path | str) -> Config:
    """Read, validate and convert the whole configuration, or raise ``ConfigError``."""
    path = Path(path)
    data, problem = read_toml(
        path, "config file", missing="file not found (pass --config PATH or set MONITOR_CONFIG)"
    )
    if data is None:
        raise ConfigError([problem])
    problems: list[str] = []
    base = path.parent.resolve()
    values, raw = _settings(data, path, base, problems)
    if values.get("notify.urls"):
        from monitor.notify import url_problem  # imports apprise: only when push is set up

        problems.extend(
            f"{path}: notify.urls[{i}]: {wrong}"  # by position: a URL may hold a token
            for i, url in enumerate(values["notify.urls"])
            if (wrong := url_problem(url))
        )
    feeds = _feeds(data.get("feeds", []), path, values, raw, problems)
    watches: list[WatchSpec] = []
    if values.get("watches_dir") is not None:
        watches, watch_problems = load_watches(Path(values["watches_dir"]))
        problems.extend(watch_problems)
        problems.extend(_recipients(values, watches, path))
    if problems:
        raise ConfigError(problems)
    return Config(path, values, tuple(feeds), tuple(watches))


_SECTIONS = frozenset(s.key.split(".")[0] for s in SETTINGS if "." in s.key)


def _settings(
    data: dict[str, Any], path: Path, base: Path, problems: list[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The converted value of every setting, and the raw ones (for later messages)."""
    known = {s.key for s in SETTINGS}
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if key == "feeds":
            continue
        if key in _SECTIONS:
            if isinstance(value, dict):
                flat.update({f"{key}.{k}": v for k, v in value.items()})
            else:
                problems.append(f"{path}: {key}: expected a [{key}] table, got {shown(value)}")
        else:
            flat[key] = value
    for key in sorted(set(flat) - known):
        hint = "; secrets come from environment variables" if key.endswith(_SECRET_HINTS) else ""
        problems.append(f"{path}: {_key(key)}: unknown key{hint}")
    values: dict[str, Any] = {}
    raw: dict[str, Any] = {}
    for setting in SETTINGS:
        raw[setting.key] = flat.get(setting.key, setting.default)
        values[setting.key] = convert(
            setting, raw[setting.key], base, f"{path}: {setting.key}", problems
        )
    return values, raw


def _key(key: str) -> str:
    """A key as a message names it: as written, unless it would break the line."""
    return key if key.isprintable() and len(key) <= 60 else shown(key)


def convert(setting: Setting, raw: Any, base: Path, at: str, problems: list[str]) -> Any:
    """Check one value against its setting; returns the converted value or None."""
    expected = KINDS[setting.kind]

    def bad(why: str = "") -> None:
        problems.append(f"{at}: expected {expected}, got {shown(raw)}{why}")

    def out_of_range(what: str) -> None:
        # "at least 1" reads whole; a range says what it is a range of.
        wanted = allowed(setting)
        if setting.minimum is not None and setting.maximum is not None:
            wanted = f"{what} from {wanted}"
        problems.append(f"{at}: expected {wanted}, got {shown(raw)}")

    kind = setting.kind
    if kind == "bool":
        return raw if isinstance(raw, bool) else bad()
    if kind == "int":
        if isinstance(raw, bool) or not isinstance(raw, int):
            return bad()
        low, high = setting.minimum, setting.maximum
        if (isinstance(low, int) and raw < low) or (isinstance(high, int) and raw > high):
            return out_of_range("a whole number")
        return raw
    if kind in ("list", "times", *ITEMS):
        if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
            return bad()
        if kind == "times" and not all(_TIME.fullmatch(v) for v in raw):
            return bad()
        if kind in ITEMS:
            test, item = ITEMS[kind]
            wrong = [v for v in raw if not test(v)]
            problems.extend(f"{at}: {shown(v)}: expected {item}" for v in wrong)
            if wrong:
                return None
        # Host names are the same in any case; the Host header a browser sends is lowercase.
        return [v.lower() for v in raw] if kind == "hosts" else list(raw)
    if not isinstance(raw, str):
        return bad()
    if kind == "choice":
        if raw not in setting.choices:
            problems.append(f"{at}: expected one of {', '.join(setting.choices)}, got {shown(raw)}")
            return None
        return raw
    if kind == "duration":
        try:
            value = parse_duration(raw)
        except DurationTooLong:
            return out_of_range("a duration")
        except ValueError:
            return bad()
        low = setting.local_minimum or setting.minimum
        high = setting.maximum
        if (low is not None and value < parse_duration(str(low))) or (
            high is not None and value > parse_duration(str(high))
        ):
            return out_of_range("a duration")
        return value
    if kind == "str":
        if has_control(raw):
            problems.append(
                f"{at}: expected a string without control characters (line breaks, tabs),"
                f" got {shown(raw)}"
            )
            return None
        return raw
    if kind == "path":
        try:
            return _path(raw, base)
        except ValueError as exc:
            return bad(f" ({exc})")
    if kind == "timezone":
        try:
            ZoneInfo(raw)
        # A name zoneinfo cannot open as a file: "America" is a folder, 300 letters are
        # too long a file name, "\0" is no file name at all.
        except (ZoneInfoNotFoundError, ValueError, OSError):
            return bad()
        return raw
    if kind == "url":
        return raw if _is_feed_url(raw) else bad()
    if kind == "page_url":
        if not raw:
            return ""
        why = page_url_problem(raw)
        return bad(f" ({why})") if why else raw.rstrip("/")
    if kind == "name":
        return raw if _NAME.fullmatch(raw) else bad()
    return raw


def _path(raw: str, base: Path) -> Path | None:
    """``raw`` resolved against ``base``; ``ValueError`` says why it cannot be a path."""
    if not raw:
        return None
    if "\0" in raw:
        raise ValueError("a path cannot hold a NUL character")
    try:
        expanded = Path(raw).expanduser()
    except RuntimeError:  # "~someone" with no such user, or "~" with no home folder
        user = raw[1:].split("/", 1)[0]
        raise ValueError(
            f"there is no user {user!r}" if user else "no home folder is known"
        ) from None
    try:
        return (base / expanded).resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop, say
        raise ValueError(str(exc)) from None


def _is_feed_url(raw: str) -> bool:
    """http(s), a host, a port if any in range, and nothing a request line cannot carry."""
    if any(c.isspace() for c in raw) or has_control(raw):
        return False
    try:
        parts = urlsplit(raw)
        port = parts.port  # raises for a port out of range or not a number
    except ValueError:  # "http://[::1" and other broken brackets
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and port != 0


# What a link may hold as written: RFC 3986's characters, no quote, angle bracket, space
# or backslash, so that the address is the same in a text part, an href and a header.
_URL_CHARACTERS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")


def page_url_problem(raw: str) -> str | None:
    """Why ``raw`` cannot be the address links are built on (``web.base_url``), or None.

    Links are ``{raw}/hits/ID``: so an http(s) address with a host, and nothing after its
    path (a query or fragment would swallow what is added); no login either, since the
    address goes out in every alert and secrets never go in the config."""
    if not _URL_CHARACTERS.fullmatch(raw):
        return "only letters, digits and URL punctuation: %-encode the rest, a host in punycode"
    try:
        parts = urlsplit(raw)
    except ValueError:  # "http://[::1" and other broken brackets
        return "not a URL"
    if parts.scheme not in ("http", "https"):
        return "it must start with http:// or https://"
    try:
        port = parts.port  # raises for a port out of range or not a number
    except ValueError:
        port = 0
    if not parts.hostname or port == 0:
        return "it needs a host name, and a port from 1 to 65535 if any"
    if "@" in parts.netloc:
        return "no user name or password: the address goes out in every alert"
    if "?" in raw or "#" in raw:
        return "no query or fragment: links are added after its path"
    return None


def _is_local(url: str) -> bool:
    """Whether a feed is on this machine: a loopback address, or the name localhost."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def _feeds(
    raw: Any, path: Path, values: dict[str, Any], raw_values: dict[str, Any], problems: list[str]
) -> list[FeedConfig]:
    if not isinstance(raw, list):
        problems.append(f"{path}: feeds: expected [[feeds]] tables")
        return []
    known = sorted(s.key for s in FEED_SETTINGS)
    interval_setting = next(s for s in FEED_SETTINGS if s.key == "interval")
    default_interval = values.get("schedule.interval")
    floor = parse_duration(str(interval_setting.minimum))
    inheriting_too_often: list[str] = []  # remote feeds polled at a schedule.interval < floor
    feeds: list[FeedConfig] = []
    seen: set[str] = set()
    for index, block in enumerate(raw):
        at = f"{path}: feeds[{index}]"
        if not isinstance(block, dict):
            problems.append(f"{at}: expected a table")
            continue
        for key in sorted(set(block) - set(known)):
            problems.append(f"{at}.{_key(key)}: unknown key (expected one of {', '.join(known)})")
        for key in sorted(REQUIRED_FEED_KEYS - set(block)):
            problems.append(f"{at}.{key}: missing; every feed needs a {key}")
        got: dict[str, Any] = {}
        for setting in FEED_SETTINGS:
            if setting.key in block:
                got[setting.key] = convert(
                    setting, block[setting.key], path.parent, f"{at}.{setting.key}", problems
                )
        name, url = got.get("name"), got.get("url")
        if name in seen:
            problems.append(f"{at}.name: {name!r} is used by another feed; names must be unique")
        if name:
            seen.add(name)
        if not name or not url:
            continue
        own = got.get("interval")
        interval = own or default_interval or timedelta(minutes=15)
        # The floor protects other people's servers: a feed on this machine may be polled
        # faster (convert has held it to the local floor already).
        if "interval" in block and own is None:
            pass  # reported by convert
        elif interval < floor and not _is_local(url):
            if own is not None:
                problems.append(
                    f"{at}.interval: expected a duration from {allowed(interval_setting)},"
                    f" got {shown(block['interval'])}"
                )
            else:
                inheriting_too_often.append(name)
        host = urlsplit(url).hostname or ""
        feeds.append(
            FeedConfig(
                name=name,
                url=url,
                interval=interval,
                outlet=got.get("outlet") or host.removeprefix("www."),
                outlet_from_config=bool(got.get("outlet")),
                language=got.get("language"),
                enabled=got.get("enabled", True) is not False,
                adaptive=got.get("adaptive"),
                min_interval=got.get("min_interval"),
                max_interval=got.get("max_interval"),
            )
        )
    if inheriting_too_often:
        setting = next(s for s in SETTINGS if s.key == "schedule.interval")
        names = ", ".join(inheriting_too_often[:3])
        if len(inheriting_too_often) > 3:
            names += f" and {len(inheriting_too_often) - 3} more"
        problems.append(
            f"{path}: schedule.interval: expected a duration from {allowed(setting)},"
            f" got {shown(raw_values['schedule.interval'])} (feeds not on this machine: {names})"
        )
    return feeds


def _recipients(values: dict[str, Any], watches: list[WatchSpec], path: Path) -> list[str]:
    """With SMTP, every watch that alerts must have someone to mail (a Maildir needs none),
    and without such a watch someone must be: ``email.to`` or ``email.operator``."""
    if not values.get("email.smtp_host"):
        return []
    problems: list[str] = []
    unaddressed: list[str] = []
    folder = Path(values["watches_dir"])
    alerting = [w for w in watches if (w.alert_mode or values.get("email.mode")) != "none"]
    for watch in alerting:
        if watch.alert_to is None:
            if values.get("email.to") == []:  # None: email.to itself is wrong, and reported
                unaddressed.append(watch.name)
        elif not watch.alert_to:
            problems.append(
                f"{folder / watch.name}.toml: alert_to: empty, so no one would get this"
                ' watch\'s alerts; add addresses, or set alert_mode = "none"'
            )
    addressed = any(w.alert_to for w in watches) or values.get("email.operator")
    if not alerting and values.get("email.to") == [] and not addressed:
        # No watch mails anyone, yet SMTP is set up: for what? Its test message and the
        # dead-feed warnings would go to an empty To: as well.
        problems.insert(
            0,
            f"{path}: email.to: SMTP is set up but no one would get mail;"
            " add addresses to email.to (or unset email.smtp_host)",
        )
    elif unaddressed and len(unaddressed) == len(alerting):
        problems.insert(
            0,
            f"{path}: email.to: SMTP is set up but no one would get alerts;"
            " add addresses to email.to",
        )
    elif unaddressed:
        names = ", ".join(unaddressed)
        their = "its" if len(unaddressed) == 1 else "their"
        problems.insert(
            0,
            f"{path}: email.to: SMTP is set up but no one would get the alerts of watch {names};"
            f" add addresses to email.to or to {their} alert_to",
        )
    return problems
