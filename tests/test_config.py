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
