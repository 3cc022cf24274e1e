"""Hostile config files: any value in any key, any feed block, any bytes.

Whatever ``monitor.toml`` holds, ``load`` returns a usable ``Config`` or raises
``ConfigError``; and ``monitor check-config`` answers with one ``Error:`` block, never
a traceback.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from monitor.config import Config, load
from monitor.errors import ConfigError
from monitor.settings import FEED_SETTINGS, SETTINGS, Setting, parse_duration
from tests.conftest import ROOT

FEW = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def watches(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small watch: loading the shipped one for every example is most of the time."""
    folder = tmp_path_factory.mktemp("watches")
    (folder / "w.toml").write_text('[[groups]]\nterms = ["nk"]\n', encoding="utf-8")
    return folder


# --- a small TOML writer, so hypothesis can write whole files -----------------------------


def toml_string(text: str) -> str:
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, dt.date | dt.time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    assert isinstance(value, dict)
    return "{" + ", ".join(f"{toml_string(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


def toml_file(flat: dict[str, Any], feeds: list[dict[str, Any]]) -> str:
    """Dotted keys become tables: ``fetch.timeout`` is ``timeout`` under ``[fetch]``."""
    top = [f"{toml_string(k)} = {toml_value(v)}" for k, v in flat.items() if "." not in k]
    tables: dict[str, list[str]] = {}
    for key, value in flat.items():
        if "." in key:
            section, name = key.split(".", 1)
            tables.setdefault(section, []).append(f"{toml_string(name)} = {toml_value(value)}")
    parts = ["\n".join(top)]
    parts += [f"[{section}]\n" + "\n".join(lines) for section, lines in tables.items()]
    for feed in feeds:
        parts.append(
            "[[feeds]]\n"
            + "\n".join(f"{toml_string(k)} = {toml_value(v)}" for k, v in feed.items())
        )
    return "\n\n".join(parts) + "\n"


# --- values ---------------------------------------------------------------------------------

SCALARS = st.one_of(
    st.text(max_size=12),
    st.integers(),
    st.floats(),
    st.booleans(),
    st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 1, 1)),
    st.dates(),
    st.times(),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)
DURATIONS = st.one_of(
    st.from_regex(r"\A[0-9]{1,14}(\.[0-9]{1,3})?(ms|s|m|h|d)\Z"),
    st.sampled_from(
        ["0s", "1ms", "1m", "7d", "9999999999d", "9" * 400 + "s", "15m\n", "١٥m", "-1s"]
    ),
)
URLS = st.one_of(
    st.sampled_from(
        ["http://[::1", "http://[::1]:8/x", "http://127.0.0.1:99999/x", "http://:80/x",
         "https://example.org/feed", "http://localhost/feed", "http://exa mple.org/",
         "http://[v1.x]/", "https://example.org:0/x", "http://ex\x00ample.org/"]
    ),
    st.builds("http://{}/{}".format, st.text(max_size=8), st.text(max_size=4)),
)  # fmt: skip
PATHS = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["~nosuchuser/x.db", "a\x00b", "~", "x" * 300 + "/db", "/dev/null", ""]),
)
BY_KIND: dict[str, st.SearchStrategy[Any]] = {
    "duration": DURATIONS,
    "int": st.integers(min_value=-(2**63), max_value=2**63 - 1),
    "url": URLS,
    "path": PATHS,
    "timezone": st.sampled_from(["UTC", "America", "a" * 300, "../x", "", "Europe/Berlin", "\x00"]),
    "name": st.text(alphabet="abc-_.\nA0", max_size=6),
    "times": st.lists(st.sampled_from(["08:00", "24:00", "8:00", "08:00\n", "x"]), max_size=3),
    "networks": st.lists(st.sampled_from(["10.0.0.0/8", "lan", "::/0", "1.2.3.4/33", "fe80::1%e"])),
    "hosts": st.lists(st.sampled_from(["news.example.org", "a/b", "https://x", "[::1]", "x:80"])),
    "addresses": st.lists(st.sampled_from(["a@example.org", "nobody", "a@b\nBcc: c@d"])),
}


def value_for(setting: Setting) -> st.SearchStrategy[Any]:
    """Mostly values of the right kind, edge cases included, sometimes anything at all."""
    if setting.kind == "choice":
        good: st.SearchStrategy[Any] = st.sampled_from([*setting.choices, "x"])
    else:
        good = BY_KIND.get(setting.kind, st.text(max_size=12))
    return st.one_of(good, good, good, VALUES)


FLAT = st.fixed_dictionaries(
    {}, optional={s.key: value_for(s) for s in SETTINGS if s.key != "watches_dir"}
)
FEED = st.fixed_dictionaries(
    {"name": value_for(FEED_SETTINGS[0]), "url": value_for(FEED_SETTINGS[1])},
    optional={s.key: value_for(s) for s in FEED_SETTINGS[2:]} | {"colour": VALUES},
)
FEEDS = st.lists(FEED, max_size=3)


def loads_or_explains(path: Path) -> Config | None:
    """The property: a ``Config`` that can be used, or a ``ConfigError`` with problems."""
    try:
        config = load(path)
    except ConfigError as exc:
        assert exc.problems and all(isinstance(p, str) and p for p in exc.problems)
        return None
    config.timezone  # noqa: B018 - it opens
    for setting in SETTINGS:
        if setting.kind == "duration":
            assert config.seconds(setting.key) >= 0
    for network in config["fetch.allow_networks"]:
        ipaddress.ip_network(network, strict=False)
    for feed in config.feeds:
        parts = urlsplit(feed.url)
        assert parts.hostname and (parts.port or 0) <= 65535
        assert feed.interval.total_seconds() >= 1
    return config


@FEW
@given(FLAT, FEEDS)
@example({"fetch.timeout": "9999999999d"}, [])
@example({"timezone": "America"}, [])
@example({"database": "~nosuchuser/x.db"}, [])
@example({"database": "a\x00b"}, [])
@example({}, [{"name": "a", "url": "http://[::1"}])
@example({"schedule.interval": "1ms"}, [{"name": "a", "url": "https://example.org/"}])
@example({"email.smtp_host": "smtp.example.org"}, [])
def test_any_values_in_any_keys(
    watches: Path, flat: dict[str, Any], feeds: list[dict[str, Any]]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "monitor.toml"
        path.write_text(toml_file({"watches_dir": str(watches), **flat}, feeds), encoding="utf-8")
        config = loads_or_explains(path)
    if config is not None:  # what loaded keeps to the ranges the table states
        interval = config["schedule.interval"]
        assert interval is not None and interval >= parse_duration("1s")


@FEW
@given(st.one_of(VALUES, PATHS))
def test_any_watches_dir(value: Any) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "monitor.toml"
        path.write_text(toml_file({"watches_dir": value}, []), encoding="utf-8")
        loads_or_explains(path)


@FEW
@given(
    st.dictionaries(st.sampled_from(["fetch", "email", "feeds", "web", "x"]), VALUES, max_size=3)
)
def test_any_value_where_a_table_belongs(watches: Path, data: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "monitor.toml"
        path.write_text(toml_file({"watches_dir": str(watches), **data}, []), encoding="utf-8")
        loads_or_explains(path)


@FEW
@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
@example(b"a = " + b"[" * 3000 + b"]" * 3000)
@example(b"a = " + b"{b=" * 2000 + b"1" + b"}" * 2000)
@example(b"a = " + b"9" * 5000)
@example(b"\xff\xfe\x00")
def test_any_bytes_as_a_config_file(body: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "monitor.toml"
        path.write_bytes(body)
        loads_or_explains(path)


@pytest.mark.parametrize(
    "text",
    ["9999999999d", "9" * 400 + "s", "99999999999999999999d", "15m\n", "١٥m", "1e3s", "", "-1s"],
)
def test_parse_duration_raises_value_error_for_what_it_cannot_represent(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


@FEW
@given(st.text(max_size=20) | DURATIONS)
def test_parse_duration_gives_a_duration_or_a_value_error(text: str) -> None:
    try:
        value = parse_duration(text)
    except ValueError:
        return
    assert value.total_seconds() >= 0


# --- the command a person runs ---------------------------------------------------------------


def check_config(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", "--config", str(path), "check-config"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


def test_check_config_lists_every_named_case_in_one_error_block(tmp_path: Path) -> None:
    watches = tmp_path / "watches"
    watches.mkdir()
    (watches / "x.toml").mkdir()
    (watches / "ok.toml").write_text('[[groups]]\nterms = ["nk"]\n', encoding="utf-8")
    (watches / "deep.toml").write_text(
        f'rule = "{"not " * 3000}nk"\n[[groups]]\nname = "nk"\n'
        f'terms = ["re:a{{4294967296}}", "re:{"(" * 1200}a{")" * 1200}"]\n',
        encoding="utf-8",
    )
    path = tmp_path / "monitor.toml"
    path.write_text(
        'watches_dir = "watches"\ndatabase = "~nosuchuser/x.db"\ntimezone = "America"\n'
        '[fetch]\ntimeout = "9999999999d"\n[schedule]\ninterval = "1ms"\n'
        '[email]\nsmtp_host = "smtp.example.org"\n'
        '[[feeds]]\nname = "a"\nurl = "http://[::1"\n'
        '[[feeds]]\nname = "b"\nurl = "https://example.org/feed"\n',
        encoding="utf-8",
    )
    result = check_config(path)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert result.stderr.count("Error:") == 1, result.stderr
    for fragment in [
        "database: expected a path",
        "timezone: expected an IANA time zone",
        "fetch.timeout: expected a duration from 1s to 10m, got '9999999999d'",
        "schedule.interval: expected a duration from 1m to 7d (1s for a feed on 127.0.0.1, ::1"
        " or localhost), got '1ms'",
        "email.to: SMTP is set up but no one would get alerts",
        "feeds[0].url: expected an http:// or https:// URL, got 'http://[::1'",
        "x.toml: expected a watch file, found a folder",
        "deep.toml: rule: nested too deeply",
        "deep.toml: groups[0].terms: 're:a{4294967296}': invalid regular expression",
        "invalid regular expression: nested too deeply",
        "Hint: fix the listed keys, then run `monitor check-config`",
    ]:
        assert fragment in result.stderr, (fragment, result.stderr)


def test_check_config_answers_a_file_too_deep_to_parse_with_one_error(tmp_path: Path) -> None:
    path = tmp_path / "monitor.toml"
    path.write_text("a = " + "[" * 3000 + "]" * 3000 + "\n", encoding="utf-8")
    result = check_config(path)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.count("Error:") == 1
    assert f"{path}: not valid TOML: nested too deeply" in result.stderr
