"""Daily use of the command line: what `make run` installs, `monitor poll` on a terminal,
`monitor hits` at the terminal's width, and every command's help ending with its example.

The terminal tests run the real command under a pseudo-terminal of a given size and read
the screen a person would see through a terminal emulator (pyte), wide characters taking
two cells there as on a real terminal.
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
import pyte
import pytest
from click.testing import CliRunner
from hypothesis import example, given
from hypothesis import strategies as st

from monitor import render
from monitor.cli import cli
from monitor.cli_help import split_example
from monitor.pipeline import NAMED_FAILURES, summary
from monitor.records import FeedOutcome
from monitor.textwidth import clipped, columns, one_line, shares, terminal_width
from tests.conftest import FIXTURE_FEEDS, ROOT, FeedServer, write_config

TZ = ZoneInfo("Europe/Berlin")

# --- the terminal -----------------------------------------------------------------------


def on_terminal(args: list[str], width: int, height: int = 200) -> tuple[int, bytes]:
    """Run ``args`` with a pseudo-terminal ``width`` columns wide as its standard input,
    output and error; its exit status and every byte it wrote to the terminal."""
    master, child_side = os.openpty()
    fcntl.ioctl(child_side, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env["TERM"] = "xterm"
    process = subprocess.Popen(
        args, stdin=child_side, stdout=child_side, stderr=child_side, cwd=ROOT, env=env
    )
    os.close(child_side)
    written = bytearray()
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline:
            if not select.select([master], [], [], 0.5)[0]:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: every process holding the terminal has ended
                break
            if not chunk:
                break
            written += chunk
        else:
            process.kill()
            pytest.fail(f"{args} did not finish within 90 s: {bytes(written)!r}")
    finally:
        os.close(master)
    return process.wait(timeout=30), bytes(written)


def screen_of(written: bytes, width: int, height: int = 200) -> pyte.Screen:
    """What a terminal ``width`` columns wide shows after ``written``."""
    screen = pyte.Screen(width, height)
    pyte.ByteStream(screen).feed(written)
    return screen


def shown(screen: pyte.Screen) -> list[str]:
    return [line.rstrip() for line in screen.display if line.strip()]


def monitor(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "monitor", "--config", str(config), *args]


# --- make run installs what running needs, make test the dev tools ----------------------


def make_n(target: str, venv: Path) -> str:
    """What ``make TARGET`` would run, with ``venv`` as the virtual environment."""
    done = subprocess.run(
        ["make", "-n", target, f"VENV={venv}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def installs(commands: str) -> list[str]:
    return [line for line in commands.splitlines() if "pip install" in line]


@pytest.mark.parametrize("target", ["run", "poll", "demo"])
def test_running_installs_monitor_without_the_dev_tools(tmp_path: Path, target: str) -> None:
    commands = make_n(target, tmp_path / ".venv")
    assert "-m venv" in commands
    assert [line.split()[-1] for line in installs(commands)] == ["pip", "."], commands


@pytest.mark.parametrize("target", ["test", "lint", "typecheck", "bench"])
def test_the_checks_install_the_dev_tools(tmp_path: Path, target: str) -> None:
    commands = make_n(target, tmp_path / ".venv")
    assert [line.split()[-1] for line in installs(commands)] == ["pip", "'.[dev]'"], commands


@pytest.mark.parametrize(
    ("stamps", "target", "installed"),
    [
        ("newer", "run", []),
        ("newer", "test", []),
        ("older", "run", ["."]),
        ("older", "test", ["'.[dev]'"]),
    ],
    ids=["run-installed", "dev-installed", "run-after-pyproject-changed", "dev-after-it"],
)
def test_each_install_runs_once_and_again_when_pyproject_changes(
    tmp_path: Path, stamps: str, target: str, installed: list[str]
) -> None:
    venv = tmp_path / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").touch()
    changed = (ROOT / "pyproject.toml").stat().st_mtime
    when = changed + 3600 if stamps == "newer" else changed - 3600
    for stamp in (".installed-run", ".installed-dev"):
        (venv / stamp).touch()
        os.utime(venv / stamp, (when, when))
    commands = make_n(target, venv)
    assert [line.split()[-1] for line in installs(commands)] == installed, commands
    assert "-m venv" not in commands


def test_installing_the_dev_tools_counts_as_installing_monitor(tmp_path: Path) -> None:
    commands = make_n("test", tmp_path / ".venv")
    assert any(
        line.startswith("touch") and line.endswith(".installed-run")
        for line in commands.splitlines()
    ), commands


# --- monitor poll: the summary names what failed; exit 1 when nothing could be polled -----


def failed(name: str, error: str, http: int | None = None) -> FeedOutcome:
    return FeedOutcome(name, "error", error=error, http_status=http)


OK = FeedOutcome("tagesschau", "ok", new_entries=3, new_hits=1)
UNCHANGED = FeedOutcome("spiegel", "not_modified")
BUSY = failed("dw-top", "HTTP 503 Service Unavailable", 503)
DOWN = failed("zeit", "cannot connect: [Errno 111] Connection refused")
NOT_A_FEED = failed("faz", "an HTML page, not a feed; `monitor feeds add URL` finds its feeds")


@pytest.mark.parametrize(
    ("outcomes", "says"),
    [
        ([OK, UNCHANGED], "1 ok, 1 not modified, 0 failed; 3 new entries, 1 new hits"),
        ([OK, BUSY], "1 ok, 0 not modified, 1 failed: dw-top (HTTP 503); 3 new entries"),
        ([DOWN, BUSY], "2 failed: dw-top (HTTP 503), zeit (cannot connect); 0 new"),
        ([NOT_A_FEED], "1 failed: faz (an HTML page, not a feed);"),
        (
            [failed(f"feed-{i}", "HTTP 500", 500) for i in (5, 1, 4, 2, 3)],
            "5 failed: feed-1 (HTTP 500), feed-2 (HTTP 500), feed-3 (HTTP 500) and 2 more;",
        ),
        ([failed("x", "a very long reason " * 9)], "1 failed: x (a very long reason a very"),
    ],
    ids=["none-failed", "one-http", "two-by-name", "parse", "and-n-more", "long-reason"],
)
def test_the_summary_names_the_feeds_that_failed(outcomes: list[FeedOutcome], says: str) -> None:
    line = summary(outcomes, 1.23)
    assert line.startswith(f"polled {len(outcomes)} feeds in 1.2s: ")
    assert says in line, line
    assert "\n" not in line and len(line) < 200


def test_at_most_a_few_failed_feeds_are_named() -> None:
    line = summary([failed(f"f{i:02}", "HTTP 404", 404) for i in range(40)], 1)
    assert line.count("(HTTP 404)") == NAMED_FAILURES and "and 37 more" in line


def poll_with(tmp_path: Path, feeds: dict[str, str]) -> Any:
    config = write_config(tmp_path, feeds)
    return CliRunner().invoke(cli, ["--config", str(config), "-q", "poll"])


def test_poll_exits_1_when_every_feed_failed(tmp_path: Path, feed_server: FeedServer) -> None:
    feeds = {"dw-top": feed_server.url("/bad/busy"), "zeit": feed_server.url("/bad/error-500")}
    result = poll_with(tmp_path, feeds)
    assert result.exit_code == 1, result.output
    assert "2 failed: dw-top (HTTP 503), zeit (HTTP 500);" in result.stdout
    [error] = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert error == "Error: no feed could be polled; `monitor feeds` shows each one's error"
    assert result.stderr.splitlines()[-1] == error  # below the warnings of the two feeds


def test_poll_blames_the_network_when_no_feed_answered(tmp_path: Path) -> None:
    result = poll_with(tmp_path, {"zeit": "http://127.0.0.1:9/feed.xml"})  # nothing listens
    assert result.exit_code == 1, result.output
    assert "1 failed: zeit (cannot connect);" in result.stdout
    assert result.stderr.splitlines()[-1].startswith(
        "Error: no feed could be polled, none answered; check the network"
    )


def test_poll_exits_0_when_one_feed_answered(tmp_path: Path, feed_server: FeedServer) -> None:
    feeds = {
        "dw-top": feed_server.url("/bad/busy"),
        "spiegel": feed_server.url("/feeds/spiegel.xml"),
    }
    result = poll_with(tmp_path, feeds)
    assert result.exit_code == 0, result.output
    assert "1 ok, 0 not modified, 1 failed: dw-top (HTTP 503);" in result.stdout


def test_poll_of_no_feed_is_no_failure(tmp_path: Path) -> None:
    result = poll_with(tmp_path, {})
    assert result.exit_code == 0, result.output
    assert "polled 0 feeds" in result.stdout


LOG_STAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR) ")
BAR = re.compile(r"polling\s+\[[#-]+\]\s+\d+%(\s+\d\d:\d\d:\d\d)?")


def test_poll_on_a_terminal_keeps_log_lines_off_the_progress_bar(
    fixture_config: Path, feed_server: FeedServer
) -> None:
    feeds = {name: feed_server.url(f"/feeds/{file}") for name, (file, _) in FIXTURE_FEEDS.items()}
    config = write_config(fixture_config.parent, {**feeds, "dw-top": feed_server.url("/bad/busy")})
    code, written = on_terminal(monitor(config, "poll"), 120)
    lines = shown(screen_of(written, 120))
    assert code == 0, lines
    bars = [line for line in lines if "polling" in line]
    assert bars and all(BAR.fullmatch(line) for line in bars), lines
    logs = [line for line in lines if LOG_STAMP.search(line)]
    assert all(LOG_STAMP.match(line) for line in logs), lines  # each on a line of its own
    assert sum("polled feed=" in line for line in logs) == 6, lines
    assert any("WARNING polled feed=dw-top status=error http=503" in line for line in logs)
    [said] = [line for line in lines if line.startswith("polled 6 feeds")]
    assert "5 ok, 0 not modified, 1 failed: dw-top (HTTP 503);" in said


# --- monitor hits: the terminal's width, wide characters, status and the words found ----


@pytest.mark.parametrize(
    ("text", "width"),
    [
        ("Kursk", 5),
        ("북한군", 6),  # Hangul: two columns a syllable
        ("\u1100\u1161", 2),  # the same syllable 가 written as two conjoining jamo
        ("北朝鮮兵", 8),  # kanji
        ("ホクチョウセン", 14),  # katakana
        ("ｱｲｳ", 3),  # half-width katakana: one column each
        ("Kim 정은", 8),
        ("N. Korea 북한군 北朝鮮 3,000", 28),
        ("cafe\u0301", 4),  # a combining accent takes no column
        ("Pjo\u0308ngjang", 9),
        ("e\u0301\u0301", 1),
        ("🚀", 2),
        ("👍🏽", 2),  # an emoji with its skin tone
        ("👨\u200d👩\u200d👧", 2),  # a family: three emoji joined by ZWJ
        ("🇰🇷", 2),  # a flag: two regional indicators
        ("❤️", 2),  # a narrow heart made an emoji by VS16
        ("", 0),
    ],
)
def test_the_columns_a_text_takes(text: str, width: int) -> None:
    assert columns(text) == width


@pytest.mark.parametrize(
    ("text", "limit", "cut"),
    [
        ("Kursk", 5, "Kursk"),
        ("Kursk region", 6, "Kursk…"),
        ("북한군이 러시아", 15, "북한군이 러시아"),
        ("북한군이 러시아", 6, "북한…"),  # 북한군 would need 7 with the ellipsis
        ("북한군이 러시아", 5, "북한…"),
        ("北朝鮮兵", 4, "北…"),
        ("cafe\u0301 au lait", 5, "cafe\u0301…"),  # the accent stays with its e
        ("ab👨\u200d👩\u200d👧cd", 4, "ab…"),  # never a piece of the family
        ("ab👨\u200d👩\u200d👧cd", 5, "ab👨\u200d👩\u200d👧…"),
        ("ab🇰🇷cd", 4, "ab…"),
        ("Kursk", 1, "…"),
        ("Kursk", 0, ""),
    ],
)
def test_a_text_is_cut_at_a_grapheme_to_fit(text: str, limit: int, cut: str) -> None:
    assert clipped(text, limit) == cut
    assert columns(clipped(text, limit)) <= limit


@given(st.text(max_size=60), st.integers(min_value=1, max_value=40))
@example("北朝鮮兵\u0301x", 3).via("a combining mark after a wide character")
@example("a\x1b[31mred\tb\n", 4).via("a terminal sequence in a feed's title")
def test_a_cut_text_fits_and_is_the_start_of_the_text(text: str, limit: int) -> None:
    line = one_line(text)
    assert not re.search(r"[\x00-\x1f\x7f-\x9f]", line)
    cut = clipped(line, limit)
    assert columns(cut) <= limit
    if columns(line) <= limit:
        assert cut == line
    else:
        assert cut.endswith("…") and line.startswith(cut[:-1])


@pytest.mark.parametrize(
    ("natural", "weights", "room", "given"),
    [
        ([4, 16, 30, 70], {2: 1, 3: 2}, 200, [4, 16, 30, 70]),  # all fit: nothing cut
        ([4, 16, 30, 70], {2: 1, 3: 2}, 80, [4, 16, 20, 40]),  # cut by weight
        ([4, 16, 10, 70], {2: 1, 3: 2}, 80, [4, 16, 10, 50]),  # what one needs not, goes on
        ([4, 16, 30, 70], {2: 1, 3: 2}, 26, [4, 16, 7, 7]),  # never below the least
    ],
    ids=["fits", "by-weight", "spare-goes-on", "least"],
)
def test_the_room_of_a_table_is_shared_by_weight(
    natural: list[int], weights: dict[int, int], room: int, given: list[int]
) -> None:
    assert shares(natural, weights, room, [7] * len(natural)) == given


def hit(
    id: int, title: str, matched: list[str], *, summary: str = "", status: str = "new"
) -> dict[str, Any]:
    return {
        "id": id,
        "published": "2025-02-27T02:41:00+00:00",
        "first_seen_at": "2025-02-27T02:45:00+00:00",
        "feed": "yonhap-ko" if any(columns(c) > 1 for c in title) else "tagesschau-ausland",
        "status": status,
        "title": title,
        "summary": summary,
        "content": None,
        "matched": matched,
    }


TERMS = ["북한군", "러시아", "nordkorea*", "*truppen*", "kursk", "北朝鮮*", "soldat*"]
HITS = [
    hit(1, '합참 "북한군, 러시아에 3천명 추가 파병…쿠르스크 전선 병력 1만4천명 규모"', TERMS),
    hit(2, "北朝鮮、ロシアに兵士3000人を追加派遣　韓国軍合同参謀本部が発表した内容", TERMS),
    hit(
        3,
        "N. Korea 북한군 troops in Kursk: 北朝鮮兵 captured — Selenskyj 🚀 café update",
        TERMS,
        status="irrelevant",
    ),
    hit(
        4,
        "Nordkoreas Truppenentsendung: Geheimdienst in Seoul spricht von Tausenden Verlusten",
        TERMS,
        summary="Nordkorea schickt weitere Soldaten nach Russland.",
        status="relevant",
    ),
    hit(12345, "Pjo\u0308ngjang: Kim Jong-un e\u0301voque la Russie", ["kim jong un"]),
]


def assert_fits(written: bytes, width: int) -> list[str]:
    """The table ``written`` as a terminal ``width`` columns wide shows it: no line wrapped,
    and nothing in the two blank columns between two columns of dashes."""
    lines = written.decode().splitlines()
    screen = screen_of(written.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"), width)
    assert len(shown(screen)) == len([line for line in lines if line.strip()]), shown(screen)
    assert all(columns(line) <= width for line in lines), lines
    dashes = next(y for y, line in enumerate(screen.display) if line.startswith("---"))
    gaps = [x for x, cell in enumerate(screen.display[dashes].rstrip()) if cell == " "]
    for y in range(dashes - 1, dashes + len(lines) - 1):
        row = screen.buffer[y]
        assert all(row[x].data == " " for x in gaps), screen.display[y]
    return lines


@pytest.mark.parametrize("width", [80, 100, 150])
def test_the_hits_table_fits_the_width_and_lines_up_wide_characters(width: int) -> None:
    table = render.hits_table(HITS, TZ, width)
    lines = assert_fits(table.encode(), width)
    assert lines[0].split() == ["id", "published", "feed", "status", "title", "matched"]
    assert max(columns(line) for line in lines) >= width - 2  # the room is used
    assert "irrelevant" in lines[4] and "relevant" in lines[5]


def test_the_hits_table_to_a_pipe_keeps_each_cell_to_its_cap() -> None:
    lines = render.hits_table(HITS, TZ, 10_000).splitlines()
    assert HITS[4]["title"] in lines[6]
    assert "1만4천명 규…" in lines[2]  # 72 columns: cut at 70, not at 70 characters (140)
    assert max(columns(line) for line in lines) > 150


def test_the_matched_column_shows_the_words_found_not_the_patterns() -> None:
    lines = render.hits_table(HITS, TZ, 10_000).splitlines()
    german, korean = lines[5], lines[2]
    assert render.words_found(HITS[3]) == [
        "Nordkoreas",
        "Truppenentsendung",
        "Nordkorea",
        "Soldaten",
    ]
    assert "Nordkoreas, Truppenentsendung, Nordkore…" in german  # the title's, then the summary's
    assert "nordkorea*" not in german and "*truppen*" not in german
    assert "북한군, 러시아에" in korean  # the word as written, its particle on
    assert "Kim Jong-un" in lines[6]


@pytest.mark.parametrize(
    "table",
    [
        lambda width: render.stories_table(
            [
                {
                    "id": 7,
                    "last_seen": "2025-02-27T02:41:00+00:00",
                    "hits": [1, 2, 3],
                    "languages": ["ko", "ja", "de"],
                    "title": HITS[i]["title"],
                    "figures": [],
                }
                for i in range(4)
            ],
            TZ,
            width,
        ),
        lambda width: render.misses_table(
            [
                {
                    "id": 3,
                    "published": "2025-02-27T02:41:00+00:00",
                    "created_at": "2025-02-27T02:41:00+00:00",
                    "outlet": "연합뉴스 Yonhap",
                    "feed": "yonhap-ko",
                    "title": HITS[i]["title"],
                    "why": "no term of personnel (병력, troops)",
                    "matched": TERMS,
                }
                for i in range(4)
            ],
            TZ,
            width=width,
        ),
        lambda width: render.figures_table(
            [
                {
                    "reported_at": "2025-02-27T02:41:00+00:00",
                    "kind": "deployed",
                    "value": 3000,
                    "low": None,
                    "high": None,
                    "qualifier": None,
                    "unit": None,
                    "source": "합동참모본부 (South Korea's Joint Chiefs of Staff) 北朝鮮",
                    "outlet": "연합뉴스 Yonhap News Agency",
                    "story_id": 4,
                    "hit_id": 12,
                }
            ],
            TZ,
            width,
        ),
    ],
    ids=["stories", "misses", "figures"],
)
@pytest.mark.parametrize("width", [80, 100])
def test_the_other_tables_fit_the_width_too(table: Any, width: int) -> None:
    assert_fits(table(width).encode(), width)


def test_a_table_to_a_pipe_has_no_width() -> None:
    with open(os.devnull, "w") as pipe:
        assert terminal_width(pipe) is None


@pytest.fixture
def polled(fixture_config: Path) -> Path:
    result = CliRunner().invoke(cli, ["--config", str(fixture_config), "-q", "poll"])
    assert result.exit_code == 0, result.output
    return fixture_config


@pytest.mark.parametrize("width", [100, 150])
def test_hits_on_a_terminal_fits_its_width(polled: Path, width: int) -> None:
    code, written = on_terminal(monitor(polled, "hits"), width)
    assert code == 0, written
    lines = assert_fits(written, width)
    assert len(lines) == 2 + 9
    # The fixture's titles need 158 columns: the table takes the terminal's width.
    assert width - 2 <= max(columns(line) for line in lines) <= width
    assert lines[0].split()[3] == "status" and all(" new " in line for line in lines[2:])


# --- every command's help ends with its example, on one line -----------------------------


def every_command(
    group: click.Group = cli, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    yield path, group
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from every_command(command, (*path, name))
        else:
            yield (*path, name), command


COMMANDS = list(every_command())


def test_every_command_is_walked() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"", "poll", "hits", "feeds", "feeds add", "outbox retry", "db backup"} <= names
    assert len(COMMANDS) > 30


@pytest.mark.parametrize(
    ("path", "command"), COMMANDS, ids=[" ".join(p) or "monitor" for p, _ in COMMANDS]
)
@pytest.mark.parametrize("width", [50, 80, 200])
def test_help_ends_with_the_example_unbroken(
    path: tuple[str, ...], command: click.Command, width: int
) -> None:
    _, example = split_example(command.help)
    assert example is not None and example.startswith("monitor "), command.help
    words = example.split()
    assert " ".join(path) in " ".join(words[1:]), example  # the example runs this command
    result = CliRunner().invoke(cli, [*path, "--help"], terminal_width=width)
    assert result.exit_code == 0, result.output
    lines = result.output.rstrip("\n").splitlines()
    assert lines[-1] == f"Example: {example}", lines[-3:]
    assert lines[-2] == "" and result.output.count("Example:") == 1
    assert "Options:" in lines and lines.index("Options:") < len(lines) - 1
