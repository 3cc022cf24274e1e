"""Mistakes on the command line end in one ``Error:`` line and exit 1 or 2, never a traceback.

Ids SQLite cannot hold, durations too long for Python or reaching before year 1, limits
beyond SQLite's, unknown watches, folders that ``check-config`` finds unwritable. The
real console script runs as a subprocess where a user would type the command; the
property tests drive click in-process so that they stay fast.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from hypothesis import example, given, settings
from hypothesis import strategies as st

from monitor.cli import cli
from monitor.cli_params import MAX_ID, Duration, RowId, cutoff
from monitor.cli_service import folder_problem
from tests.conftest import FIXTURE_FEEDS, WATCHES, FeedServer, write_config

MONITOR = Path(sys.executable).parent / "monitor"  # the console script of this venv
HUGE = "99999999999999999999"  # beyond 2**63 - 1, SQLite's largest INTEGER
NOW = datetime(2025, 6, 1, tzinfo=UTC)


def monitor(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(MONITOR), "--config", str(config), "-q", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def run(config: Path, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, ["--config", str(config), "-q", *args])
    assert result.exit_code == code, result.output
    return result.output


@pytest.fixture
def empty(tmp_path: Path) -> Path:
    """A config whose one feed is never polled: the database has no hits."""
    return write_config(tmp_path, {"down": "http://127.0.0.1:9/feed.xml"})


@pytest.fixture
def polled(tmp_path: Path, feed_server: FeedServer) -> Path:
    """Nine hits of nk-troops-russia, from a watches folder the test may change."""
    watches = tmp_path / "watches"
    shutil.copytree(WATCHES, watches)
    feeds = {n: feed_server.url(f"/feeds/{f}") for n, (f, _) in FIXTURE_FEEDS.items()}
    config = write_config(tmp_path, feeds, watches=watches)
    run(config, "poll")
    return config


@pytest.mark.parametrize(
    "args",
    [
        ["mark", HUGE, "relevant"],
        ["show", HUGE],
        ["outbox", "retry", HUGE],
        ["show", "--", "-5"],
        ["show", "0"],
        ["mark", "1.5", "seen"],
        ["show", "1" * 5000],  # more digits than Python converts to int by default
    ],
    ids=["mark-huge", "show-huge", "retry-huge", "negative", "zero", "fraction", "5000-digits"],
)
def test_an_id_that_cannot_exist_is_a_usage_error(empty: Path, args: list[str]) -> None:
    done = monitor(empty, *args)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "is not an id: ids are whole numbers from 1" in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("Error: Invalid value for")


def test_an_id_that_could_exist_but_does_not_is_error_1(empty: Path) -> None:
    done = monitor(empty, "mark", str(MAX_ID), "seen")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"no hit with id {MAX_ID}" in done.stderr
    done = monitor(empty, "outbox", "retry", str(MAX_ID))
    assert done.returncode == 1 and f"no failed alert with id {MAX_ID}" in done.stderr


@pytest.mark.parametrize("command", ["hits", "export", "rescan"])
def test_a_duration_too_long_for_python_is_a_usage_error(empty: Path, command: str) -> None:
    done = monitor(empty, command, "--since", "9999999999d")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "'9999999999d' is not a duration such as 90m, 7d or 12h" in done.stderr


@pytest.mark.parametrize("command", ["hits", "export", "rescan"])
def test_a_duration_reaching_before_year_one_means_everything(empty: Path, command: str) -> None:
    done = monitor(empty, command, "--since", "99999999d")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr


def test_since_counts_back_from_now_and_clamps_at_the_beginning(polled: Path) -> None:
    everything = json.loads(run(polled, "hits", "--json", "--limit", "100"))
    assert len(everything) == 9
    assert json.loads(run(polled, "hits", "--json", "--limit", "100", "--since", "99999999d"))
    assert len(json.loads(run(polled, "export", "--format", "json", "--since", "99999999d"))) == 9
    assert run(polled, "rescan", "--since", "99999999d").startswith("rescanned 35 entries")


def test_the_cutoff_of_a_duration() -> None:
    assert cutoff(NOW, None) is None
    assert cutoff(NOW, timedelta(0)) == NOW  # "within no time", not "no filter"
    assert cutoff(NOW, timedelta(days=7)) == datetime(2025, 5, 25, tzinfo=UTC)
    assert cutoff(NOW, timedelta(days=99_999_999)) is None  # before year 1: everything


def test_a_limit_beyond_sqlite_lists_everything(polled: Path) -> None:
    assert len(json.loads(run(polled, "hits", "--json", "--limit", HUGE))) == 9


def test_hits_names_an_unknown_watch(empty: Path) -> None:
    done = monitor(empty, "hits", "--watch", "nope")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "Error: no watch named 'nope'; the watches are: nk-troops-russia" in done.stderr
    # A configured watch without hits is no mistake.
    assert run(empty, "hits", "--watch", "nk-troops-russia") == "No hits yet.\n"


def test_hits_of_a_watch_removed_from_the_config_stay_listable(polled: Path) -> None:
    watches = polled.parent / "watches"
    (watches / "nk-troops-russia.toml").rename(watches / "kursk.toml")
    rows = json.loads(run(polled, "hits", "--json", "--watch", "nk-troops-russia"))
    assert len(rows) == 9 and {r["watch"] for r in rows} == {"nk-troops-russia"}
    assert json.loads(run(polled, "export", "--format", "json", "--watch", "nk-troops-russia"))
    out = run(polled, "hits", "--watch", "nope", code=1)
    assert "no watch named 'nope'; the watches are: kursk" in out


@pytest.mark.parametrize(
    ("lines", "blocker", "expected"),
    [
        ('database = "blocker/monitor.db"', "file", "database: cannot create the folder"),
        ('database = "blocker"', "folder", "is a folder, not a database file"),
        ('[email]\nmaildir = "blocker/mail"', "file", "email.maildir: cannot create the folder"),
    ],
    ids=["folder-is-a-file", "database-is-a-folder", "maildir-under-a-file"],
)
def test_check_config_reports_a_folder_it_cannot_write(
    tmp_path: Path, lines: str, blocker: str, expected: str
) -> None:
    config = write_config(tmp_path, {"down": "http://127.0.0.1:9/feed.xml"})
    text = config.read_text(encoding="utf-8")
    if lines.startswith("database"):
        text = text.replace('database = "monitor.db"', lines)
    else:
        text = text.replace("[fetch]", lines + "\n\n[fetch]")
    config.write_text(text, encoding="utf-8")
    if blocker == "file":
        (tmp_path / "blocker").write_text("a file where a folder should be", encoding="utf-8")
    else:
        (tmp_path / "blocker").mkdir()
    done = monitor(config, "check-config")
    assert done.returncode == 1, done.stdout
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert expected in done.stderr, done.stderr
    assert not (tmp_path / "monitor.db").exists()  # checking creates nothing


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_check_config_reports_a_read_only_folder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    config = write_config(tmp_path, {"down": "http://127.0.0.1:9/feed.xml"})
    config.write_text(config.read_text().replace('"monitor.db"', '"data/m.db"'), encoding="utf-8")
    data.chmod(0o555)
    try:
        done = monitor(config, "check-config")
    finally:
        data.chmod(0o755)
    assert done.returncode == 1 and "database: cannot write into the folder" in done.stderr


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs Linux's /proc")
def test_a_folder_nobody_may_write_is_named() -> None:
    # /proc/self refuses new files even to root, for whom chmod is no obstacle.
    assert folder_problem(Path("/proc/self")) == (
        "cannot write into the folder /proc/self: permission denied"
    )
    assert folder_problem(Path("/proc/self/data")) == (
        "cannot create the folder /proc/self/data: /proc/self is not writable"
    )


def test_check_config_accepts_a_folder_it_will_create(tmp_path: Path) -> None:
    config = write_config(tmp_path, {"down": "http://127.0.0.1:9/feed.xml"})
    config.write_text(config.read_text().replace('"monitor.db"', '"a/b/m.db"'), encoding="utf-8")
    done = monitor(config, "check-config")
    assert done.returncode == 0, done.stderr
    assert ": ok:" in done.stdout and not (tmp_path / "a").exists()


# Property tests: whatever a user types, the answer is a value or a usage error.

ID_TEXT = st.one_of(
    st.text(max_size=30),
    st.from_regex(r"\A\s?[+-]?[0-9]{1,25}\s?\Z"),
    st.integers().map(str),
    st.integers(min_value=MAX_ID - 3, max_value=10**30).map(str),  # around SQLite's limit
)
DURATION_TEXT = st.one_of(
    st.text(max_size=30),
    st.from_regex(r"\A\s?[0-9]{1,400}(\.[0-9]{1,5})?\s?(ms|s|m|h|d)\s?\Z"),
)


@settings(max_examples=200, deadline=None)
@given(ID_TEXT)
def test_the_id_type_gives_a_storable_id_or_a_usage_error(text: str) -> None:
    try:
        value = RowId("monitor hits").convert(text, None, None)
    except click.BadParameter as exc:
        assert "is not an id" in exc.format_message()
    else:
        assert 1 <= value <= MAX_ID and value == int(text)


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=1, max_value=MAX_ID))
def test_every_storable_id_is_accepted(number: int) -> None:
    assert RowId("monitor hits").convert(str(number), None, None) == number


@settings(max_examples=200, deadline=None)
@given(DURATION_TEXT)
def test_the_duration_type_gives_a_usable_cutoff_or_a_usage_error(text: str) -> None:
    try:
        since = Duration().convert(text, None, None)
    except click.BadParameter as exc:
        assert "is not a duration" in exc.format_message()
    else:
        assert isinstance(since, timedelta) and since >= timedelta(0)
        start = cutoff(NOW, since)
        assert start is None or start <= NOW


@pytest.fixture(scope="module")
def module_config(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("cli")
    config = write_config(folder, {"down": "http://127.0.0.1:9/feed.xml"})
    run(config, "hits")  # creates the database once, before the examples
    yield config


def exits_cleanly(config: Path, *args: str) -> None:
    result = CliRunner().invoke(cli, ["--config", str(config), "-q", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code in (0, 1, 2), result.output
    assert "Traceback" not in result.output


@settings(max_examples=40, deadline=None)
@given(ID_TEXT, st.sampled_from(["show", "mark", "retry"]))
@example(HUGE, "show").via("the overflow this guards against")
def test_id_arguments_never_raise(module_config: Path, text: str, command: str) -> None:
    args = {"show": ["show"], "mark": ["mark"], "retry": ["outbox", "retry"]}[command]
    tail = ["seen"] if command == "mark" else []
    exits_cleanly(module_config, *args, "--", text, *tail)


@settings(max_examples=40, deadline=None)
@given(DURATION_TEXT, st.sampled_from(["hits", "export", "rescan"]))
@example("99999999d", "hits").via("before year 1")
def test_since_never_raises(module_config: Path, text: str, command: str) -> None:
    exits_cleanly(module_config, command, "--since", text)
