"""Read and validate ``monitor.toml`` and its watch files into one ``Config``.

Every problem is collected (file, key path, what was expected) and reported at once
as a ``ConfigError``. Relative paths resolve against the config file's folder, the
same for every path key, so the config works from any working directory.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from monitor.errors import ConfigError
from monitor.records import FeedConfig
from monitor.settings import (
    FEED_SETTINGS,
    KINDS,
    REQUIRED_FEED_KEYS,
    SETTINGS,
    Setting,
    parse_duration,
)
from monitor.watch import WatchSpec, load_watches

DEFAULT_PATH = Path("config/monitor.toml")
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
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
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            [f"{path}: file not found (pass --config PATH or set MONITOR_CONFIG)"]
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: cannot read: {exc}"]) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: not valid TOML: {exc}"]) from exc
    problems: list[str] = []
    base = path.parent.resolve()
    values = _settings(data, path, base, problems)
    feeds = _feeds(data.get("feeds", []), path, values, problems)
    watches: list[WatchSpec] = []
    if values.get("watches_dir") is not None:
        watches, watch_problems = load_watches(Path(values["watches_dir"]))
        problems.extend(watch_problems)
    if problems:
        raise ConfigError(problems)
    return Config(path, values, tuple(feeds), tuple(watches))


def _settings(data: dict[str, Any], path: Path, base: Path, problems: list[str]) -> dict[str, Any]:
    known = {s.key for s in SETTINGS}
    sections = {k.split(".")[0] for k in known if "." in k}
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if key == "feeds":
            continue
        if key in sections and isinstance(value, dict):
            flat.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            flat[key] = value
    for key in sorted(set(flat) - known):
        hint = "; secrets come from environment variables" if key.endswith(_SECRET_HINTS) else ""
        problems.append(f"{path}: {key}: unknown key{hint}")
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = flat.get(setting.key, setting.default)
        values[setting.key] = convert(setting, raw, base, f"{path}: {setting.key}", problems)
    return values


def convert(setting: Setting, raw: Any, base: Path, at: str, problems: list[str]) -> Any:
    """Check one value against its setting; returns the converted value or None."""
    expected = KINDS[setting.kind]

    def bad() -> None:
        problems.append(f"{at}: expected {expected}, got {raw!r}")

    kind = setting.kind
    if kind == "bool":
        return raw if isinstance(raw, bool) else bad()
    if kind == "int":
        if isinstance(raw, bool) or not isinstance(raw, int):
            return bad()
        if setting.minimum is not None and raw < setting.minimum:
            problems.append(f"{at}: expected at least {setting.minimum}, got {raw}")
            return None
        return raw
    if kind in ("list", "times"):
        if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
            return bad()
        if kind == "times" and not all(_TIME.match(v) for v in raw):
            return bad()
        return list(raw)
    if not isinstance(raw, str):
        return bad()
    if kind == "choice":
        if raw not in setting.choices:
            problems.append(f"{at}: expected one of {', '.join(setting.choices)}, got {raw!r}")
            return None
        return raw
    if kind == "duration":
        try:
            value = parse_duration(raw)
        except ValueError:
            return bad()
        return value
    if kind == "path":
        return (base / Path(raw).expanduser()).resolve() if raw else None
    if kind == "timezone":
        try:
            ZoneInfo(raw)
        except (ZoneInfoNotFoundError, ValueError):
            return bad()
        return raw
    if kind == "url":
        parts = urlsplit(raw)
        return raw if parts.scheme in ("http", "https") and parts.netloc else bad()
    if kind == "name":
        return raw if _NAME.match(raw) else bad()
    return raw


def _feeds(raw: Any, path: Path, values: dict[str, Any], problems: list[str]) -> list[FeedConfig]:
    if not isinstance(raw, list):
        problems.append(f"{path}: feeds: expected [[feeds]] tables")
        return []
    known = {s.key for s in FEED_SETTINGS}
    feeds: list[FeedConfig] = []
    seen: set[str] = set()
    for index, block in enumerate(raw):
        at = f"{path}: feeds[{index}]"
        if not isinstance(block, dict):
            problems.append(f"{at}: expected a table")
            continue
        for key in sorted(set(block) - known):
            problems.append(f"{at}.{key}: unknown key (expected one of {', '.join(sorted(known))})")
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
        interval = got.get("interval") or values.get("schedule.interval") or timedelta(minutes=15)
        host = urlsplit(url).hostname or ""
        feeds.append(
            FeedConfig(
                name=name,
                url=url,
                interval=interval,
                outlet=got.get("outlet") or host.removeprefix("www."),
                language=got.get("language"),
                enabled=got.get("enabled", True) is not False,
            )
        )
    return feeds
