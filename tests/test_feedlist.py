"""The feed list from the command line: feeds add/remove/enable/disable/import/export and
``poll --feed``, on real config files, against the real feed server on 127.0.0.1.

Edits are checked line by line against the text the file should have: every comment
and blank line that is not the edited block's stays where it was.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import example, given, settings
from hypothesis import strategies as st

from monitor import cli_feeds
from monitor.cli import cli
from monitor.config import load
from monitor.errors import MonitorError
from monitor.feedlist import FeedFile
from monitor.feedplan import name_for, slug
from monitor.opml import MAX_BYTES, OpmlError, OpmlFeed, read_opml, write_opml
from tests.conftest import ROOT, WATCHES, FeedServer, write_config

SHIPPED = ROOT / "config"
SHIPPED_FEEDS = len(load(SHIPPED / "monitor.toml").feeds)


def invoke(config: Path, *args: str, code: int = 0, stdin: str | None = None) -> Result:
    result = CliRunner().invoke(cli, ["--config", str(config), "-q", *args], input=stdin)
    assert result.exit_code == code, (result.output, result.exception)
    return result


@pytest.fixture
def shipped(tmp_path: Path) -> Path:
    """A copy of the shipped config folder: its commented feed blocks, its watches."""
    shutil.copytree(SHIPPED, tmp_path / "config")
    return tmp_path / "config" / "monitor.toml"


def block_lines(lines: list[str], name: str) -> tuple[int, int]:
    """The lines of the block named ``name``: from its comment line to its last key."""
    header = lines.index(f'name = "{name}"\n') - 1
    assert lines[header] == "[[feeds]]\n" and lines[header - 1].startswith("# ")
    end = header + 1
    while end < len(lines) and lines[end].strip():
        end += 1
    return header - 1, end


# -- remove, enable, disable on the shipped file -------------------------------------


@pytest.mark.parametrize(
    "name", ["yonhap-en-all", "tagesschau-ausland", "gnews-ko-bukhangun-reosia-pabyeong"]
)
def test_remove_takes_the_block_and_its_comment_and_nothing_else(shipped: Path, name: str) -> None:
    before = shipped.read_text(encoding="utf-8")
    lines = before.splitlines(keepends=True)
    start, end = block_lines(lines, name)
    # The blank line below the block goes with it; for the last block, the one above.
    expected = lines[: start - 1] if end == len(lines) else lines[:start] + lines[end + 1 :]
    out = invoke(shipped, "feeds", "remove", name).output
    assert f"removed feed {name}" in out
    assert shipped.read_text(encoding="utf-8") == "".join(expected)
    assert name not in {f.name for f in load(shipped).feeds}
    assert len(load(shipped).feeds) == SHIPPED_FEEDS - 1


def test_disable_and_enable_set_the_key_in_the_block(shipped: Path) -> None:
    before = shipped.read_text(encoding="utf-8")
    lines = before.splitlines(keepends=True)
    _start, end = block_lines(lines, "zeit-politik")

    invoke(shipped, "feeds", "disable", "zeit-politik")
    disabled = [*lines[:end], "enabled = false\n", *lines[end:]]
    assert shipped.read_text(encoding="utf-8") == "".join(disabled)
    feed = next(f for f in load(shipped).feeds if f.name == "zeit-politik")
    assert not feed.enabled

    out = invoke(shipped, "feeds", "disable", "zeit-politik").output
    assert "disabled already" in out and "unchanged" in out
    assert shipped.read_text(encoding="utf-8") == "".join(disabled)

    invoke(shipped, "feeds", "enable", "zeit-politik")
    enabled = [*lines[:end], "enabled = true\n", *lines[end:]]
    assert shipped.read_text(encoding="utf-8") == "".join(enabled)
    assert next(f for f in load(shipped).feeds if f.name == "zeit-politik").enabled

    out = invoke(shipped, "feeds", "enable", "faz-politik").output
    assert "enabled already" in out


def test_an_unknown_name_is_one_error_listing_the_feeds(shipped: Path) -> None:
    before = shipped.read_text(encoding="utf-8")
    for command in ("remove", "enable", "disable"):
        out = invoke(shipped, "feeds", command, "nope", code=1).output
        assert out.startswith("Error: no feed named 'nope'") and "yonhap-en-all, " in out
        assert "Traceback" not in out
    assert shipped.read_text(encoding="utf-8") == before


# -- layouts: a truth table of small files -------------------------------------------

HEAD = 'database = "m.db"\n'
A = '[[feeds]]\nname = "a"\nurl = "http://a.example/"\n'
B = '[[feeds]]\nname = "b"\nurl = "http://b.example/"\n'
NEW = '[[feeds]]\nname = "n"\nurl = "http://n.example/"\n'
FETCH = '[fetch]\ntimeout = "3s"\n'

LAYOUTS = {
    # name: (file, operation, expected file)
    "remove the first, after top-level keys": (
        HEAD + "\n# The feeds\n\n# a\n" + A + "\n# b\n" + B,
        ("remove", "a"),
        HEAD + "\n# The feeds\n\n# b\n" + B,
    ),
    "remove the first, nothing above it": (
        A + "\n# fetch\n" + FETCH,
        ("remove", "a"),
        "# fetch\n" + FETCH,
    ),
    "remove one followed by a table": (
        A + "\n# b\n" + B + "\n# fetch\n" + FETCH,
        ("remove", "b"),
        A + "\n# fetch\n" + FETCH,
    ),
    "remove keeps a comment at the end of the file": (
        FETCH + "\n# a\n" + A + "\n# the end\n",
        ("remove", "a"),
        FETCH + "\n# the end\n",
    ),
    "remove from a file without blank lines": (
        HEAD + A + B,
        ("remove", "a"),
        HEAD + B,
    ),
    "add after the last block, before a table": (
        A + "\n# fetch\n" + FETCH,
        ("add", "n"),
        A + "\n# new\n" + NEW + "\n# fetch\n" + FETCH,
    ),
    "add to a file with no feeds": (
        HEAD + "\n" + FETCH,
        ("add", "n"),
        HEAD + "\n" + FETCH + "\n# new\n" + NEW,
    ),
    "add to a file without a final line break": (
        FETCH + "\n" + A.rstrip("\n"),
        ("add", "n"),
        FETCH + "\n" + A + "\n# new\n" + NEW,
    ),
    "add keeps a comment at the end of the file": (
        A + "\n# the end\n",
        ("add", "n"),
        A + "\n# new\n" + NEW + "\n# the end\n",
    ),
    "disable puts the key above the next block's comment": (
        A + "\n# b\n" + B,
        ("disable", "a"),
        A + "enabled = false\n\n# b\n" + B,
    ),
    "enable keeps the comment after the value": (
        A + "enabled = false  # down since May\n",
        ("enable", "a"),
        A + "enabled = true  # down since May\n",
    ),
    "a file with CRLF line ends keeps them": (
        (FETCH + "\n# a\n" + A).replace("\n", "\r\n"),
        ("add", "n"),
        (FETCH + "\n# a\n" + A + "\n# new\n" + NEW).replace("\n", "\r\n"),
    ),
}


@pytest.mark.parametrize("case", sorted(LAYOUTS))
def test_layouts(tmp_path: Path, case: str) -> None:
    text, (operation, name), expected = LAYOUTS[case]
    path = tmp_path / "monitor.toml"
    path.write_bytes(text.encode("utf-8"))
    file = FeedFile(path)
    if operation == "remove":
        file.remove(name)
    elif operation == "add":
        file.add({"name": name, "url": f"http://{name}.example/"}, "new")
    else:
        assert file.set_enabled(name, operation == "enable")
    assert file.text() == expected
    assert tomllib.loads(file.text()) == file.expected


def test_blocks_split_by_other_tables_are_not_edited(tmp_path: Path) -> None:
    path = tmp_path / "monitor.toml"
    text = f'watches_dir = "{WATCHES}"\n' + A + "\n" + FETCH + "\n" + B
    path.write_text(text, encoding="utf-8")
    out = invoke(path, "feeds", "remove", "a", code=1).output
    assert "cannot edit its feeds without changing its layout" in out
    assert "keep the [[feeds]] blocks together" in out
    assert path.read_text(encoding="utf-8") == text


def test_a_change_made_meanwhile_is_not_overwritten(shipped: Path) -> None:
    file = FeedFile(shipped)
    file.remove("zeit-politik")
    shipped.write_text(shipped.read_text(encoding="utf-8") + "\n# edited by hand\n")
    with pytest.raises(MonitorError, match="changed by someone else"):
        file.save()
    assert shipped.read_text(encoding="utf-8").endswith("# edited by hand\n")
    assert not list(shipped.parent.glob(".*.tmp"))


def test_a_symlinked_config_stays_a_symlink(shipped: Path) -> None:
    link = shipped.parent / "link.toml"
    link.symlink_to(shipped)
    mode = shipped.stat().st_mode
    os.chmod(shipped, 0o640)
    invoke(link, "feeds", "disable", "38north")
    assert link.is_symlink()
    assert "enabled = false" in shipped.read_text(encoding="utf-8")
    assert shipped.stat().st_mode & 0o777 == 0o640
    os.chmod(shipped, mode)


# -- feeds add ------------------------------------------------------------------------


@pytest.fixture
def one_feed(tmp_path: Path, feed_server: FeedServer) -> Path:
    return write_config(tmp_path, {"tagesschau": feed_server.url("/feeds/tagesschau.xml")})


def test_add_fetches_the_feed_and_names_it_from_its_title(
    one_feed: Path, feed_server: FeedServer
) -> None:
    before = one_feed.read_text(encoding="utf-8")
    url = feed_server.url("/feeds/spiegel.xml")
    out = invoke(one_feed, "feeds", "add", url, "--interval", "5m", "--outlet", "Spiegel").output
    assert "added feed der-spiegel-ausland (DER SPIEGEL - Ausland, " in out
    assert "`monitor poll --feed der-spiegel-ausland`" in out
    assert one_feed.read_text(encoding="utf-8") == before + (
        "\n# Added with monitor feeds add: DER SPIEGEL - Ausland\n"
        "[[feeds]]\n"
        'name = "der-spiegel-ausland"\n'
        f'url = "{url}"\n'
        'interval = "5m"\n'
        'outlet = "Spiegel"\n'
    )
    added = next(f for f in load(one_feed).feeds if f.name == "der-spiegel-ausland")
    assert added.outlet == "Spiegel" and added.interval.total_seconds() == 300
    assert any(path == "/feeds/spiegel.xml" for path, _ in feed_server.requests)
    out = invoke(one_feed, "poll", "--feed", "der-spiegel-ausland").output
    assert "der-spiegel-ausland: ok (HTTP 200)" in out


def test_add_makes_names_unique_and_notes_a_missing_language(
    one_feed: Path, feed_server: FeedServer
) -> None:
    feed_server.files["again.xml"] = feed_server.files["tagesschau.xml"].replace(
        b"<language>de</language>", b""
    )
    first = invoke(one_feed, "feeds", "add", feed_server.url("/feeds/tagesschau_changed.xml"))
    assert "added feed tagesschau-de-die-nachrichten-der-ard " in first.stdout
    second = invoke(one_feed, "feeds", "add", feed_server.url("/feeds/again.xml"))
    assert "added feed tagesschau-de-die-nachrichten-der-ard-2 " in second.stdout
    assert "declares no language; set one with --language" in second.stderr
    names = [f.name for f in load(one_feed).feeds]
    assert names == [
        "tagesschau",
        "tagesschau-de-die-nachrichten-der-ard",
        "tagesschau-de-die-nachrichten-der-ard-2",
    ]


@pytest.mark.parametrize(
    ("route", "args", "message"),
    [
        ("/feeds/tagesschau.xml", (), "is configured already, as feed tagesschau"),
        ("/feeds/missing.xml", (), "cannot fetch http://127.0.0.1:"),
        ("/bad/error-500", (), "HTTP 500"),
        ("/feeds/garbage.xml", (), "is not a feed"),
        ("/bad/invalid-xml", (), "is a web page that declares no feed"),
        ("/feeds/spiegel.xml", ("--name", "tagesschau"), "a feed named 'tagesschau' exists"),
        ("/feeds/spiegel.xml", ("--name", "Big Name"), "--name: expected a name"),
        ("/feeds/spiegel.xml", ("--interval", "soon"), "--interval: expected a duration"),
    ],
)
def test_add_refuses_and_writes_nothing(
    one_feed: Path, feed_server: FeedServer, route: str, args: tuple[str, ...], message: str
) -> None:
    feed_server.files["garbage.xml"] = b"this is plain text, no markup at all"
    before = one_feed.read_text(encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["--config", str(one_feed), "-q", "feeds", "add", feed_server.url(route), *args]
    )
    assert result.exit_code in (1, 2), result.output
    assert message in result.output and "Traceback" not in result.output
    assert one_feed.read_text(encoding="utf-8") == before


def test_a_remote_feed_is_refused_a_short_interval_before_any_fetch(one_feed: Path) -> None:
    # .invalid never resolves: reaching the network would fail differently.
    out = invoke(
        one_feed, "feeds", "add", "https://news.invalid/rss", "--interval", "30s", code=2
    ).output
    assert "--interval: expected a duration from 1m to 7d for a feed not on this machine," in out
    assert "got '30s'" in out


PAGE = b"""<!DOCTYPE html>
<html><head><title>Spiegel</title>
<link rel="alternate" type="application/rss+xml" title="Ausland" href="/feeds/spiegel.xml">
<link rel="alternate" type="application/atom+xml" title="Korea" href="atom_news.xml">
</head><body>News</body></html>
"""


@pytest.fixture
def page(feed_server: FeedServer) -> str:
    pytest.importorskip("monitor.discover", reason="monitor.discover (find_feeds) is missing")
    feed_server.files["page.html"] = PAGE  # served as RSS: the body tells it is a page
    return feed_server.url("/feeds/page.html")


def test_a_page_lists_its_feeds_and_pick_chooses(one_feed: Path, page: str) -> None:
    before = one_feed.read_text(encoding="utf-8")
    out = invoke(one_feed, "feeds", "add", page, code=1).output
    assert "is a web page; it declares 2 feed(s):" in out
    assert "1. Ausland [application/rss+xml] http://127.0.0.1:" in out
    assert "2. Korea [application/atom+xml]" in out and "atom_news.xml" in out
    assert "Hint: there is no terminal to ask: choose one with --pick N" in out
    assert one_feed.read_text(encoding="utf-8") == before

    out = invoke(one_feed, "feeds", "add", page, "--pick", "2").output
    assert "added feed korea-watch-daily (Korea Watch Daily, 6 entries)" in out, out
    text = one_feed.read_text(encoding="utf-8")
    assert f"# Added with monitor feeds add from {page}: Korea Watch Daily\n" in text
    assert "/feeds/atom_news.xml" in text

    out = invoke(one_feed, "feeds", "add", page, "--pick", "3", code=2).output
    assert "the page declares 2 feed(s); choose 1 to 2" in out
    out = invoke(one_feed, "feeds", "add", page, code=1).output
    assert "atom_news.xml (configured as korea-watch-daily)" in out
    out = invoke(one_feed, "feeds", "add", page, "--pick", "2", code=1).output
    assert "is configured already, as feed korea-watch-daily" in out


def test_a_page_asks_which_feed_on_a_terminal(
    one_feed: Path, page: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_feeds, "interactive", lambda: True)
    out = invoke(one_feed, "feeds", "add", page, stdin="1\n").output
    assert "Add which feed? number:" in out
    assert "added feed der-spiegel-ausland " in out
    assert "/feeds/spiegel.xml" in one_feed.read_text(encoding="utf-8")


# -- import and export ----------------------------------------------------------------

MINIFLUX = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
    <head><title>Miniflux</title><dateCreated>Mon, 02 Jun 2025 10:00:00 UTC</dateCreated></head>
    <body>
        <outline text="Korea">
            <outline title="Yonhap News Agency" text="Yonhap News Agency" xmlUrl="{yonhap}"
                htmlUrl="https://en.yna.co.kr/" type="rss" language="en-US"></outline>
            <outline title="Tagesschau" text="Tagesschau" xmlUrl="{tagesschau}" type="rss"/>
        </outline>
        <outline text="Deutschland">
            <outline text="Süddeutsche Zeitung" xmlurl="https://rss.example.org/sz" type="rss"
                interval="30s"/>
            <outline text="SZ again" xmlUrl="https://rss.example.org/sz" type="rss"/>
            <outline text="Gopher" xmlUrl="gopher://old.example/feed" type="rss"/>
            <outline text="연합뉴스" xmlUrl="https://www.yna.co.kr/rss/northkorea.xml"
                interval="20m" outlet="Yonhap" enabled="false"/>
        </outline>
        <outline text="A link, not a feed" url="https://example.org/"/>
    </body>
</opml>
"""


def test_import_adds_what_is_not_configured_and_says_what_it_skipped(
    one_feed: Path, feed_server: FeedServer, tmp_path: Path
) -> None:
    opml_file = tmp_path / "miniflux.opml"
    yonhap, tagesschau = (
        feed_server.url("/feeds/yonhap_en.xml"),
        feed_server.url("/feeds/tagesschau.xml"),
    )
    opml_file.write_text(MINIFLUX.format(yonhap=yonhap, tagesschau=tagesschau))
    result = invoke(one_feed, "feeds", "import", str(opml_file))
    assert f"added yonhap-news-agency {yonhap}" in result.stdout
    assert "added suddeutsche-zeitung https://rss.example.org/sz" in result.stdout
    assert "added yna-co-kr-rss-northkorea " in result.stdout
    assert f"skipped {tagesschau}: already configured as tagesschau" in result.stderr
    assert "skipped https://rss.example.org/sz: already configured as suddeutsche-zeitung" in (
        result.stderr
    )
    assert "skipped gopher://old.example/feed: xmlUrl: expected" in result.stderr
    assert (
        "note: https://rss.example.org/sz: interval: expected a duration from 1m to 7d"
        " for a feed not on this machine, got '30s'; left out"
    ) in result.stderr
    assert "imported 3 of 6 feeds from " in result.stdout and ": 3 skipped" in result.stdout
    blocks = tomllib.loads(one_feed.read_text(encoding="utf-8"))["feeds"]
    assert blocks[1:] == [
        {"name": "yonhap-news-agency", "url": yonhap, "language": "en"},
        {"name": "suddeutsche-zeitung", "url": "https://rss.example.org/sz"},
        {
            "name": "yna-co-kr-rss-northkorea",
            "url": "https://www.yna.co.kr/rss/northkorea.xml",
            "interval": "20m",
            "outlet": "Yonhap",
            "enabled": False,
        },
    ]
    assert "# Imported from miniflux.opml: Yonhap News Agency\n" in one_feed.read_text()
    assert len(load(one_feed).feeds) == 4

    again = invoke(one_feed, "feeds", "import", str(opml_file))
    assert "imported 0 of 6 feeds" in again.stdout and "is unchanged" in again.stdout


def test_import_of_a_file_that_is_no_opml_is_one_error(one_feed: Path, tmp_path: Path) -> None:
    before = one_feed.read_text(encoding="utf-8")
    bad = tmp_path / "feed.xml"
    bad.write_bytes((ROOT / "tests" / "feeds" / "spiegel.xml").read_bytes())
    out = invoke(one_feed, "feeds", "import", str(bad), code=1).output
    assert "not an OPML file: it starts with <rss>" in out
    assert "Hint: `monitor feeds add URL` adds a single feed" in out
    assert one_feed.read_text(encoding="utf-8") == before


def test_export_then_import_moves_the_list_unchanged(
    shipped: Path, tmp_path: Path, feed_server: FeedServer
) -> None:
    invoke(shipped, "feeds", "disable", "38north")
    out = invoke(shipped, "feeds", "export").stdout
    root = ET.fromstring(out.encode("utf-8"))
    assert root.tag == "opml" and root.get("version") == "2.0"
    assert root.findtext("head/title") == "monitor feeds (monitor.toml)"
    outlines = root.findall("body/outline")
    assert len(outlines) == SHIPPED_FEEDS
    first = outlines[0].attrib
    assert first == {
        "type": "rss",
        "text": "yonhap-en-all",
        "title": "yonhap-en-all",
        "xmlUrl": "https://en.yna.co.kr/RSS/news.xml",
        "language": "en",
        "interval": "10m",
    }
    assert next(o for o in outlines if o.get("text") == "38north").get("enabled") == "false"

    elsewhere = write_config(tmp_path, {})
    exported = tmp_path / "list.opml"
    invoke(shipped, "feeds", "export", "-o", str(exported))
    invoke(elsewhere, "feeds", "import", str(exported))
    moved = tomllib.loads(elsewhere.read_text(encoding="utf-8"))["feeds"]
    assert moved == tomllib.loads(shipped.read_text(encoding="utf-8"))["feeds"]

    out = invoke(shipped, "feeds", "export", "-o", str(exported), code=1).output
    assert "exists; pass --force to replace it" in out
    invoke(shipped, "feeds", "export", "-o", str(exported), "--force")


def test_export_uses_the_titles_polls_found(one_feed: Path) -> None:
    invoke(one_feed, "poll")
    out = invoke(one_feed, "feeds", "export").stdout
    outline = ET.fromstring(out.encode("utf-8")).find("body/outline")
    assert outline is not None
    assert outline.get("title") == "tagesschau.de - Die Nachrichten der ARD"


# -- poll --feed ----------------------------------------------------------------------


@pytest.fixture
def three(tmp_path: Path, feed_server: FeedServer) -> Path:
    path = write_config(
        tmp_path,
        {
            "spiegel": feed_server.url("/feeds/spiegel.xml"),
            "yonhap": feed_server.url("/feeds/yonhap_en.xml"),
            "broken": feed_server.url("/bad/error-500"),
        },
    )
    invoke(path, "feeds", "disable", "yonhap")
    return path


def test_poll_feed_polls_only_the_feeds_named(three: Path, feed_server: FeedServer) -> None:
    out = invoke(three, "poll", "--feed", "yonhap", "--feed", "spiegel").output
    lines = out.splitlines()
    assert lines[0].startswith("yonhap: ok (HTTP 200), ")  # named, so polled though disabled
    assert lines[1].startswith("spiegel: ok (HTTP 200), ")
    assert "polled 2 feeds" in out
    assert sorted(path for path, _ in feed_server.requests) == [
        "/feeds/spiegel.xml",
        "/feeds/yonhap_en.xml",
    ]


def test_poll_feed_says_why_a_feed_fails_and_exits_1(three: Path) -> None:
    out = invoke(three, "poll", "--feed", "broken", code=1).output
    assert "broken: failed: HTTP 500" in out
    assert "polled 1 feeds" in out and "1 failed" in out


def test_poll_feed_with_unknown_names_is_one_error_line(
    three: Path, feed_server: FeedServer
) -> None:
    out = invoke(three, "poll", "--feed", "spiegel", "--feed", "nope", "--feed", "gone", code=1)
    line = out.output.strip()
    assert line.splitlines() == [line]
    assert line.startswith("Error: no feed named 'nope', 'gone' in ")
    assert line.endswith("the feeds are: spiegel, yonhap, broken")
    assert feed_server.requests == []


def test_every_feeds_command_has_an_example() -> None:
    group = cli.commands["feeds"]
    assert hasattr(group, "commands")
    assert sorted(group.commands) == ["add", "disable", "enable", "export", "import", "remove"]
    for command in group.commands.values():
        assert command.help and "Example: monitor feeds " in command.help, command.name
    assert "Example: monitor poll" in (cli.commands["poll"].help or "")


# -- OPML: hostile files, and the format itself ---------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 '
            b'"&lol;&lol;&lol;&lol;">]><opml><body><outline xmlUrl="&lol2;"/></body></opml>',
            "it has a DOCTYPE",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE opml SYSTEM "http://127.0.0.1:9/x.dtd">'
            b'<opml><body><outline xmlUrl="&ext;"/></body></opml>',
            "it has a DOCTYPE",
        ),
        (b"<opml><body><outline xmlUrl='&undeclared;'/></body></opml>", "not well-formed XML"),
        (b"<rss><channel/></rss>", "not an OPML file: it starts with <rss>"),
        (b"", "not well-formed XML"),
        (b"\xff\xfe\x00<", "not well-formed XML"),
        (b'<?xml version="1.0" encoding="no-such-codec"?><opml/>', "fake.opml"),
        (b"<opml>" + b" " * MAX_BYTES + b"</opml>", "larger than 5,000,000 bytes"),
    ],
)
def test_hostile_opml_is_refused_with_one_error(data: bytes, message: str) -> None:
    with pytest.raises(OpmlError, match=message):
        read_opml(data, "fake.opml")


@given(st.binary(max_size=2000))
@example(b"<opml><outline xmlUrl='x' enabled='FALSE'/></opml>")
@example(b'<?xml version="1.0" encoding="utf-16"?><opml/>')
@settings(max_examples=300, deadline=None)
def test_any_bytes_give_feeds_or_an_opml_error(data: bytes) -> None:
    try:
        feeds = read_opml(data, "any.opml")
    except OpmlError:
        return
    assert all(isinstance(feed, OpmlFeed) and feed.url for feed in feeds)


_XMLISH = st.lists(
    st.sampled_from(
        [
            "<opml>",
            "</opml>",
            "<body>",
            "</body>",
            "<outline",
            " xmlUrl='u'",
            " text='t'",
            "/>",
            ">",
            "</outline>",
            "<!DOCTYPE x>",
            "<!ENTITY e 'v'>",
            "&e;",
            "&amp;",
            "<?pi?>",
            "<![CDATA[x]]>",
            "<!-- c -->",
            "&#0;",
            "&#x10FFFF;",
            "\x00",
            "é",
            " language='de'",
        ]
    ),
    max_size=30,
).map("".join)


@given(_XMLISH, st.sampled_from(["utf-8", "utf-16", "latin-1"]))
@settings(max_examples=300, deadline=None)
def test_any_markup_gives_feeds_or_an_opml_error(text: str, encoding: str) -> None:
    with contextlib.suppress(OpmlError):
        read_opml(text.encode(encoding, "replace"), "any.opml")


def _clean(value: str | None) -> str | None:
    """A value as it comes back: without what XML cannot hold, white space collapsed."""
    if value is None:
        return None
    kept = "".join(c for c in value if c in "\t\n\r" or (c >= " " and c not in "\ufffe\uffff"))
    return " ".join(kept.split()) or None


_VALUE = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30
)


@given(
    st.lists(
        st.builds(
            OpmlFeed,
            url=_VALUE.filter(lambda v: _clean(v) is not None),
            title=st.none() | _VALUE,
            html_url=st.none() | _VALUE,
            language=st.none() | _VALUE,
            interval=st.none() | _VALUE,
            outlet=st.none() | _VALUE,
            enabled=st.sampled_from([None, False]),
        ),
        max_size=5,
    )
)
@settings(max_examples=200, deadline=None)
def test_what_write_opml_writes_read_opml_reads(feeds: list[OpmlFeed]) -> None:
    from datetime import UTC, datetime

    data = write_opml(feeds, title="t", now=datetime(2025, 6, 1, tzinfo=UTC))
    back = read_opml(data, "round.opml")
    assert len(back) == len(feeds)
    clean = _clean
    for wrote, read in zip(feeds, back, strict=True):
        assert read.url == clean(wrote.url)
        assert read.title == (clean(wrote.title) or clean(wrote.url))
        assert (read.language, read.interval, read.outlet) == (
            clean(wrote.language),
            clean(wrote.interval),
            clean(wrote.outlet),
        )
        assert read.enabled == wrote.enabled


@pytest.mark.parametrize(
    ("title", "url", "taken", "name"),
    [
        (
            "DER SPIEGEL - Ausland",
            "https://www.spiegel.de/ausland/index.rss",
            set(),
            "der-spiegel-ausland",
        ),
        (
            "Süddeutsche Zeitung: Politik",
            "https://rss.sueddeutsche.de/rss/Politik",
            set(),
            "suddeutsche-zeitung-politik",
        ),
        ("Straße", "https://x.example/", set(), "strasse"),
        ("연합뉴스 최신기사", "https://www.yna.co.kr/rss/news.xml", set(), "yna-co-kr-rss-news"),
        (None, "https://www.38north.org/feed/", set(), "38north-org-feed"),
        ("", "http://127.0.0.1:8080/", set(), "127-0-0-1"),
        ("Daily NK", "https://dailynk.com/feed", {"daily-nk", "daily-nk-2"}, "daily-nk-3"),
        ("---", "http://[::1]/", set(), "1"),
        ("A" * 30 + " " + "B" * 30, "https://x.example/", set(), "a" * 30),
    ],
)
def test_names(title: str | None, url: str, taken: set[str], name: str) -> None:
    assert name_for(title, url, taken) == name
    assert slug(name) == name
