"""Configuration errors: every problem at once, each naming file, key and expectation."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.config import load
from monitor.errors import ConfigError
from tests.conftest import ROOT, write_config


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load(path)
    return info.value.problems


def test_the_shipped_config_is_valid() -> None:
    config = load(ROOT / "config" / "monitor.toml")
    assert len(config.feeds) >= 20
    assert [w.name for w in config.watches] == ["nk-troops-russia"]
    assert config.database == ROOT / "data" / "monitor.db"  # relative to the config's folder
    assert {f.language for f in config.feeds} == {"de", "en", "ko"}


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "monitor.toml"
    path.write_text(
        f"""
        databse = "x.db"
        timezone = "Mars/Olympus"
        watches_dir = "{ROOT / "config" / "watches"}"
        smtp_password = "hunter2"
        [fetch]
        timeout = "soon"
        concurrency = 0
        [[feeds]]
        name = "a"
        url = "ftp://example.org/feed"
        [[feeds]]
        name = "a"
        url = "https://example.org/feed"
        interval = 5
        colour = "red"
        [[feeds]]
        url = "https://example.org/other"
        """,
        encoding="utf-8",
    )
    found = problems(path)
    expected = [
        "databse: unknown key",
        "smtp_password: unknown key; secrets come from environment variables",
        "timezone: expected an IANA time zone",
        "fetch.timeout: expected a duration",
        "fetch.concurrency: expected at least 1",
        "feeds[0].url: expected an http:// or https:// URL",
        "feeds[1].name: 'a' is used by another feed",
        "feeds[1].interval: expected a duration",
        "feeds[1].colour: unknown key",
        "feeds[2].name: missing; every feed needs a name",
    ]
    for fragment in expected:
        assert any(fragment in p for p in found), (fragment, found)
    assert all(p.startswith(str(path)) for p in found)
    assert len(found) == len(expected)


def test_watch_problems_name_the_file_and_key(tmp_path: Path) -> None:
    watches = tmp_path / "watches"
    watches.mkdir()
    (watches / "broken.toml").write_text(
        'colour = 1\n[[groups]]\nname = "g"\nterms = ["re:(", "a*b", "ok"]\nweight = -1\n'
        "[[groups]]\nterms = []\n",
        encoding="utf-8",
    )
    (watches / "not-toml.toml").write_text("this is = = not toml", encoding="utf-8")
    found = problems(write_config(tmp_path, {}, watches=watches))
    for fragment in [
        "broken.toml: colour: unknown key",
        "broken.toml: groups[0].terms: 're:(': invalid regular expression",
        "broken.toml: groups[0].terms: 'a*b': '*' may only stand at the start or the end",
        "broken.toml: groups[0].weight: expected a number >= 0",
        "broken.toml: groups[1].terms: expected at least one term",
        "not-toml.toml: not valid TOML",
    ]:
        assert any(fragment in p for p in found), (fragment, found)


def test_check_config_cli(tmp_path: Path) -> None:
    good = CliRunner().invoke(
        cli, ["--config", str(ROOT / "config" / "monitor.toml"), "check-config"]
    )
    assert good.exit_code == 0 and "ok:" in good.output and "nk-troops-russia" in good.output
    missing = CliRunner().invoke(cli, ["--config", str(tmp_path / "nope.toml"), "check-config"])
    assert missing.exit_code == 1
    assert "file not found (pass --config PATH or set MONITOR_CONFIG)" in missing.output
    assert "Traceback" not in missing.output


def test_config_from_the_environment(tmp_path: Path) -> None:
    path = write_config(tmp_path, {"x": "http://127.0.0.1:9/x.xml"})
    result = CliRunner().invoke(cli, ["check-config"], env={"MONITOR_CONFIG": str(path)})
    assert result.exit_code == 0 and "1 feeds (1 enabled)" in result.output


def test_a_database_that_cannot_be_opened_gives_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("a file where a folder should be")
    path = write_config(tmp_path, {}, extra='database = "blocker/monitor.db"')
    path.write_text(path.read_text().replace('database = "monitor.db"\n', ""))
    result = CliRunner().invoke(cli, ["--config", str(path), "hits"])
    assert result.exit_code == 1
    assert "Error: cannot open the database" in result.output and "Hint:" in result.output


# --- values that once escaped as tracebacks, and the ranges of every number -----------------

REMOTE = '[[feeds]]\nname = "far"\nurl = "https://example.org/feed"\n'
LOCAL = '[[feeds]]\nname = "near"\nurl = "http://127.0.0.1:8080/feed"\n'


def config_text(tmp_path: Path, text: str) -> Path:
    """A config of just ``text``, with the shipped watches (TOML tables in any order)."""
    path = tmp_path / "monitor.toml"
    path.write_text(f'watches_dir = "{ROOT / "config" / "watches"}"\n{text}', encoding="utf-8")
    return path


LOCALS = " (1s for a feed on 127.0.0.1, ::1 or localhost)"
INTERVAL = f"expected a duration from 1m to 7d{LOCALS}"
PATH = "expected a path (relative paths resolve against the config file's folder)"
URL = "expected an http:// or https:// URL"
NO_CONTROL = "expected a string without control characters"
HOST = "expected a host name"
SMTP = "SMTP is set up but no one would get alerts; add addresses to email.to"
BAD = [
    # durations: too short, too long, or more than a timedelta holds
    (f'[schedule]\ninterval = "1ms"\n{REMOTE}', f"schedule.interval: {INTERVAL}, got '1ms'"),
    (f'[schedule]\ninterval = "30d"\n{REMOTE}', f"schedule.interval: {INTERVAL}, got '30d'"),
    (f'{REMOTE}interval = "59s"\n', f"feeds[0].interval: {INTERVAL}, got '59s'"),
    (f'{LOCAL}interval = "500ms"\n', f"feeds[0].interval: {INTERVAL}, got '500ms'"),
    ('[schedule]\njitter = "2h"\n', "schedule.jitter: expected a duration from 0s to 1h, got '2h'"),
    ('[schedule]\nmax_backoff = "30s"\n', "schedule.max_backoff: expected a duration from 1m"),
    ('[schedule]\nmax_backoff = "8d"\n', "schedule.max_backoff: expected a duration from 1m"),
    ('[fetch]\ntimeout = "0s"\n', "fetch.timeout: expected a duration from 1s to 10m, got '0s'"),
    ('[fetch]\ntimeout = "9999999999d"\n', "fetch.timeout: expected a duration from 1s to 10m"),
    (f'[fetch]\ntimeout = "{"9" * 400}s"\n', "fetch.timeout: expected a duration"),
    ('[fetch]\nconnect_timeout = "15m\\n"\n', "fetch.connect_timeout: expected a duration"),
    ('[housekeeping]\nretention = "999999999d"\n', "housekeeping.retention: expected a duration"),
    ('[health]\nmax_age = "10s"\n', "health.max_age: expected a duration from 1m to 1d"),
    # numbers with an upper bound
    ("[metrics]\nport = 70000\n", "metrics.port: expected a whole number from 0 to 65535"),
    ("[email]\nsmtp_port = 0\n", "email.smtp_port: expected a whole number from 1 to 65535, got 0"),
    # time zones the zoneinfo module cannot open
    ('timezone = "America"\n', "timezone: expected an IANA time zone"),
    (f'timezone = "{"a" * 300}"\n', "timezone: expected an IANA time zone"),
    ('timezone = "../../etc/passwd"\n', "timezone: expected an IANA time zone"),
    ('timezone = "Europe/Berlin\\u0000"\n', "timezone: expected an IANA time zone"),
    # paths
    (
        'database = "~nosuchuser/x.db"\n',
        f"database: {PATH}, got '~nosuchuser/x.db' (there is no user 'nosuchuser')",
    ),
    ('database = "a\\u0000b.db"\n', f"database: {PATH}, got 'a\\x00b.db'"),
    # feed URLs
    ('[[feeds]]\nname = "a"\nurl = "http://[::1"\n', f"feeds[0].url: {URL}, got 'http://[::1'"),
    ('[[feeds]]\nname = "a"\nurl = "http://example.org:99999/x"\n', f"feeds[0].url: {URL}"),
    ('[[feeds]]\nname = "a"\nurl = "http://exa mple.org/x"\n', f"feeds[0].url: {URL}"),
    ('[[feeds]]\nname = "a"\nurl = "http://:80/x"\n', f"feeds[0].url: {URL}"),
    ('[[feeds]]\nname = "a\\n"\nurl = "http://example.org/x"\n', "feeds[0].name: expected a name"),
    # strings that end up in mail or HTTP headers
    ('[email]\nfrom = "a@b.org\\nBcc: c@d.org"\n', f"email.from: {NO_CONTROL}"),
    ('[fetch]\nuser_agent = "x\\r\\ny"\n', f"fetch.user_agent: {NO_CONTROL}"),
    ('[email]\ndigest_at = ["08:00\\n"]\n', "email.digest_at: expected a list of local times"),
    # the list settings
    (
        '[fetch]\nallow_networks = ["10.0.0.0/8", "lan"]\n',
        "fetch.allow_networks: 'lan': expected a CIDR network such as \"192.168.1.0/24\"",
    ),
    (
        '[fetch]\nallow_networks = ["10.0.0.0/33"]\n',
        "fetch.allow_networks: '10.0.0.0/33': expected a CIDR network",
    ),
    ('[web]\nallowed_hosts = ["https://x.org"]\n', f"web.allowed_hosts: 'https://x.org': {HOST}"),
    ('[web]\nallowed_hosts = ["x.org/review"]\n', f"web.allowed_hosts: 'x.org/review': {HOST}"),
    ('[web]\nallowed_hosts = ["x.org:8080"]\n', f"web.allowed_hosts: 'x.org:8080': {HOST}"),
    ('[web]\nallowed_hosts = [""]\n', f"web.allowed_hosts: '': {HOST}"),
    ('[email]\nto = ["nobody"]\n', "email.to: 'nobody': expected an email address"),
    (
        '[email]\noperator = ["a@b.org\\nBcc: c@d.org"]\n',
        "email.operator: 'a@b.org\\nBcc: c@d.org': expected an email address",
    ),
    # a section that is not a table
    ("fetch = 5\n", "fetch: expected a [fetch] table, got 5"),
    # SMTP that would mail no one
    ('[email]\nsmtp_host = "smtp.example.org"\n', f"email.to: {SMTP}"),
]


@pytest.mark.parametrize(("text", "problem"), BAD, ids=[b[1][:40] for b in BAD])
def test_one_bad_value_is_one_problem_that_says_what_is_allowed(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = config_text(tmp_path, text)
    found = problems(path)
    assert found == [f"{path}: {problem}"] or (
        len(found) == 1 and found[0].startswith(f"{path}: {problem}")
    ), found


GOOD = [
    f'[schedule]\ninterval = "1m"\njitter = "0s"\nmax_backoff = "7d"\n{REMOTE}',
    # a feed on this machine is one's own server: it may be polled every second
    f'[schedule]\ninterval = "1s"\njitter = "0s"\n{LOCAL}',
    '[[feeds]]\nname = "v6"\nurl = "http://[::1]:8080/feed"\ninterval = "1s"\n',
    '[[feeds]]\nname = "named"\nurl = "http://localhost/feed"\ninterval = "1s"\n',
    '[fetch]\nallow_networks = ["192.168.1.7/24", "fd00::/8", "10.0.0.1"]\n',
    '[web]\nallowed_hosts = ["news.example.org", "NEWS.example.org", "10.0.0.5", "[::1]"]\n',
    '[email]\nsmtp_host = "smtp.example.org"\nto = ["Desk <desk@example.org>"]\n',
    '[fetch]\ntimeout = "10m"\nconnect_timeout = "1s"\n[parse]\ntimeout = "1s"\n',
    '[housekeeping]\nretention = "3650d"\ndead_after = "1h"\nsilent_min = "365d"\n',
    "[metrics]\nport = 65535\n",
]


@pytest.mark.parametrize("text", GOOD)
def test_values_at_the_edges_of_their_range_are_good(tmp_path: Path, text: str) -> None:
    assert load(config_text(tmp_path, text)).values


def test_smtp_needs_a_recipient_for_every_watch_that_alerts(tmp_path: Path) -> None:
    watches = tmp_path / "watches"
    watches.mkdir()
    group = '[[groups]]\nterms = ["nk"]\n'
    (watches / "own.toml").write_text(f'alert_to = ["desk@example.org"]\n{group}')
    (watches / "quiet.toml").write_text(f'alert_mode = "none"\n{group}')
    smtp = '[email]\nsmtp_host = "smtp.example.org"\n'
    path = tmp_path / "monitor.toml"
    path.write_text(f'watches_dir = "watches"\n{smtp}')
    assert {w.name for w in load(path).watches} == {"own", "quiet"}  # every watch has someone
    (watches / "plain.toml").write_text(group)
    assert problems(path) == [
        f"{path}: email.to: SMTP is set up but no one would get the alerts of watch plain;"
        " add addresses to email.to or to its alert_to"
    ]
    (watches / "plain.toml").write_text(f"alert_to = []\n{group}")
    assert problems(path) == [
        f"{watches / 'plain.toml'}: alert_to: empty, so no one would get this watch's alerts;"
        ' add addresses, or set alert_mode = "none"'
    ]
    path.write_text(f'watches_dir = "watches"\n{smtp}to = ["me@example.org"]\n')
    assert problems(path)[0].startswith(f"{watches / 'plain.toml'}: alert_to: empty")
    path.write_text('watches_dir = "watches"\n')  # a Maildir needs no recipients
    assert len(load(path).watches) == 3


def test_a_watches_dir_that_cannot_be_listed(tmp_path: Path) -> None:
    path = config_text(tmp_path, "")
    path.write_text(f'watches_dir = "{"x" * 300}"\n')
    assert problems(path) == [
        f"{tmp_path / ('x' * 300)}: watches_dir: expected a folder of watch files, found none"
    ]


def test_the_settings_table_shows_the_allowed_range() -> None:
    from monitor.settings import SETTINGS, markdown_table

    table = markdown_table(SETTINGS)
    assert f'| `schedule.interval` | duration | `"15m"` | 1m to 7d{LOCALS} |' in table
    assert "| `metrics.port` | int | `0` | 0 to 65535 |" in table
    assert "| `fetch.max_bytes` | int | `10_000_000` | at least 1024 |" in table
    assert '| `email.security` | choice | `"starttls"` | none, starttls, tls |' in table


def test_allowed_hosts_are_kept_in_lowercase_as_browsers_send_them(tmp_path: Path) -> None:
    path = config_text(tmp_path, '[web]\nallowed_hosts = ["News.Example.org", "*.LAN.example"]\n')
    assert load(path)["web.allowed_hosts"] == ["news.example.org", "*.lan.example"]
