"""monitor mark and monitor export: triage from the shell, data for spreadsheets."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.export import neutralise
from tests.conftest import FIXTURE_FEEDS, FeedServer, write_config

WATCH = "nk-troops-russia"


def run(config: Path, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, ["--config", str(config), "-q", *args])
    assert result.exit_code == code, result.output
    return result.output


@pytest.fixture
def polled(tmp_path: Path, feed_server: FeedServer) -> Path:
    feed_server.files["formula.xml"] = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item>'
        b'<title>=HYPERLINK("http://evil.example","North Korea troops in Russia")</title>'
        b"<link>https://x.example/f</link><description>-2+3 soldiers</description>"
        b"</item></channel></rss>"
    )
    feeds = {n: feed_server.url(f"/feeds/{f}") for n, (f, _) in FIXTURE_FEEDS.items()}
    feeds["formula"] = feed_server.url("/feeds/formula.xml")
    config = write_config(tmp_path, feeds)
    run(config, "poll")
    return config


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+49 30", "'+49 30"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("plain", "plain"),
        (3, 3),
        (None, None),
    ],
)
def test_formula_cells_are_neutralised(value: object, safe: object) -> None:
    assert neutralise(value) == safe


def test_mark_then_export_by_status(polled: Path) -> None:
    hits = json.loads(run(polled, "hits", "--json", "--limit", "100"))
    first, second = hits[0]["id"], hits[1]["id"]
    assert (
        run(polled, "mark", str(first), "relevant", "--note", "seed")
        == f"hit {first}: relevant (seed)\n"
    )
    run(polled, "mark", str(second), "irrelevant")
    assert "no hit with id 99999" in run(polled, "mark", "99999", "seen", code=1)
    assert "'deleted' is not one of" in run(polled, "mark", str(first), "deleted", code=2)
    [marked] = json.loads(run(polled, "hits", "--json", "--status", "relevant"))
    assert marked["status"] == "relevant" and marked["note"] == "seed"
    rows = [
        json.loads(line)
        for line in run(polled, "export", "--format", "jsonl", "--status", "relevant").splitlines()
    ]
    assert [r["id"] for r in rows] == [first]
    assert set(rows[0]) >= {
        "title",
        "url",
        "feed",
        "matched",
        "status",
        "note",
        "published",
        "content",
    }


def test_csv_export_opens_cleanly_in_a_spreadsheet(polled: Path, tmp_path: Path) -> None:
    out = tmp_path / "hits.csv"
    CliRunner().invoke(cli, ["--config", str(polled), "export", "--bom", "-o", str(out)])
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 10
    formula = next(r for r in rows if "HYPERLINK" in r["title"])
    assert formula["title"].startswith("'=HYPERLINK") and formula["summary"] == "'-2+3 soldiers"
    korean = [r for r in rows if r["language"] == "ko"]
    assert {r["title"][:2] for r in korean} == {"北,", "합참"}  # UTF-8 survives
    assert "; " in rows[0]["matched"]


def test_json_export_and_filters(polled: Path) -> None:
    everything = json.loads(run(polled, "export", "--format", "json"))
    assert len(everything) == 10
    assert len(json.loads(run(polled, "export", "--format", "json", "--watch", WATCH))) == 10
    assert json.loads(run(polled, "export", "--format", "json", "--status", "seen")) == []
    unknown = run(polled, "export", "--format", "json", "--watch", "nope", code=1)
    assert f"Error: no watch named 'nope'; the watches are: {WATCH}" in unknown
    assert len(json.loads(run(polled, "export", "--format", "json", "--since", "1h"))) == 10


def test_an_unwritable_output_is_one_clear_line(polled: Path, tmp_path: Path) -> None:
    out = run(polled, "export", "-o", str(tmp_path / "missing" / "hits.csv"), code=1)
    assert "Error: cannot write" in out and "check that its folder exists" in out
    assert "Traceback" not in out


def test_hits_csv_neutralises_formulas_too(polled: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(run(polled, "hits", "--csv", "--limit", "100"))))
    formula = next(r for r in rows if "HYPERLINK" in r["title"])
    assert formula["title"].startswith("'=HYPERLINK")


def test_an_existing_output_file_is_kept_unless_forced(polled: Path, tmp_path: Path) -> None:
    out = tmp_path / "hits.jsonl"
    out.write_text("yesterday's export\n", encoding="utf-8")
    refused = run(polled, "export", "--format", "jsonl", "-o", str(out), code=1)
    assert f"Error: {out} exists; choose a new file name, or pass --force" in refused
    assert out.read_text(encoding="utf-8") == "yesterday's export\n"
    run(polled, "export", "--format", "jsonl", "-o", str(out), "--force")
    assert len(out.read_text(encoding="utf-8").splitlines()) == 10
