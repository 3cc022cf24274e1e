"""``make demo``: replay a day of coverage on this machine, without internet.

Serves the feed files of ``tests/feeds/day/`` (23-24 October 2024: twelve outlets in
seven languages) on 127.0.0.1, writes a config for them under ``data/demo/``, polls them
once, prints what was found (stories, figures, alerts in the Maildir), then starts the
review page on http://127.0.0.1:8080/ until Ctrl-C.

    python -m tests.demo [--port 8080] [--no-serve]
"""

from __future__ import annotations

import argparse
import json
import mailbox
import shutil
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from click.testing import CliRunner

from monitor.cli import cli

ROOT = Path(__file__).resolve().parent.parent
DAY = ROOT / "tests" / "feeds" / "day"
DEMO = ROOT / "data" / "demo"
LANGUAGES = {"yonhap_ko": "ko", "kbs_de": "de", "tagesschau": "de", "spiegel": "de", "zeit": "de"}


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def serve_feeds() -> tuple[ThreadingHTTPServer, str]:
    """The day's feed files on a free port of 127.0.0.1, in a thread."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(DAY)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def write_config(base: str, folder: Path = DEMO) -> Path:
    """A config for the day's feeds, with the shipped watch, in ``folder``."""
    if folder.exists():
        shutil.rmtree(folder)  # a fresh replay every time
    folder.mkdir(parents=True)
    blocks = []
    for feed in sorted(DAY.glob("*.xml")):
        language = LANGUAGES.get(feed.stem)
        blocks.append(
            f'[[feeds]]\nname = "{feed.stem.replace("_", "-")}"\nurl = "{base}/{feed.name}"\n'
            + (f'language = "{language}"\n' if language else "")
        )
    config = folder / "monitor.toml"
    config.write_text(
        "# Written by `make demo`: the day of coverage in tests/feeds/day, served locally.\n"
        'database = "monitor.db"\n'
        f'watches_dir = "{ROOT / "config" / "watches"}"\n'
        'timezone = "Europe/Berlin"\n\n[email]\nmax_per_hour = 100\n\n' + "\n".join(blocks),
        encoding="utf-8",
    )
    return config


def run(config: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--config", str(config), "-q", *args])
    if result.exit_code != 0:
        raise SystemExit(result.output)
    return result.output


def replay(folder: Path = DEMO) -> Path:
    """Serve, configure and poll; print what a reader would see. Returns the config."""
    server, base = serve_feeds()
    try:
        config = write_config(base, folder)
        print(run(config, "poll").strip().splitlines()[-1])
    finally:
        server.shutdown()
        server.server_close()
    stories = json.loads(run(config, "stories", "--json", "--limit", "100"))
    print(f"\n{len(stories)} stories:")
    for story in stories:
        figures = "; ".join(
            dict.fromkeys(f"{f['kind']} {f['value']:,} ({f['source']})" for f in story["figures"])
        )
        print(f"  [{story['id']}] {len(story['hits'])} articles, {','.join(story['languages'])}:")
        print(f"      {story['title'][:90]}")
        if figures:
            print(f"      {figures[:150]}")
    box = mailbox.Maildir(folder / "maildir", create=False)
    print(f"\n{len(box)} alert emails in {folder / 'maildir'} (one per story, and per new figure)")
    return config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--no-serve", action="store_true", help="Poll and report, then stop.")
    options = parser.parse_args()
    config = replay()
    if not options.no_serve:
        print(f"\nThe review page: http://127.0.0.1:{options.port}/ (Ctrl-C stops it)")
        cli(["--config", str(config), "serve", "--port", str(options.port)], prog_name="monitor")


if __name__ == "__main__":
    main()
