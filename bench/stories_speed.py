"""How much the stories stage costs: figures per entry, and placing a hit in its story
as the number of stories ever stored grows.

    python -m bench.stories_speed [--stories 100 1000 10000] [--hits 300]

(a) figures: the shipped watch's figure reader over the labeled entries of
    tests/data/stories_dev.jsonl, repeated; entries per second on one core.
(b) placement: a database holding N stories (one hit each, a week apart, so all but the
    last few are closed), then --hits new topic hits stored one poll each; the median
    time of a poll's write with its story placement, against the same writes without
    stories. The claim: the cost does not grow with N.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.config import load
from monitor.records import Entry, FeedConfig, FetchResult, Match, ParsedFeed, TermHit
from monitor.store import Store
from monitor.stories.figures import FigureReader
from monitor.stories.keep import StoryKeeper

ROOT = Path(__file__).resolve().parent.parent
WATCH = load(ROOT / "config" / "monitor.toml").watches[0]
FEED = FeedConfig("bench", "https://bench.example/feed", timedelta(minutes=15), "bench.example")
START = datetime(2020, 1, 1, tzinfo=UTC)


def figures_per_second(repeat: int = 20) -> tuple[float, int]:
    reader = FigureReader(WATCH.figures) if WATCH.figures else None
    assert reader is not None
    rows = [
        json.loads(line)
        for line in (ROOT / "tests/data/stories_dev.jsonl").read_text().splitlines()
    ]
    started = time.process_time()
    for _ in range(repeat):
        for row in rows:
            reader.read(row["title"], row["summary"], "", row["lang"])
    return len(rows) * repeat / (time.process_time() - started), len(rows)


def _poll(store: Store, n: int, when: datetime) -> float:
    """One poll of one new topic hit; the seconds its write took."""
    title = f"North Korea sends {1000 + n:,} more troops to Russia, JCS says"
    summary = f"About {2000 + n:,} North Korean soldiers were killed or wounded, the JCS said."
    entry = Entry(f"guid:{n}", f"https://bench.example/{n}", title, summary, when, "en", str(n))
    match = Match(WATCH.name, 5.0, (TermHit("north-korea", "north korea*", "title"),))
    parsed = ParsedFeed(((entry, (match,)),))
    started = time.perf_counter()
    store.record_poll(FEED, FetchResult("ok"), parsed, error=None, next_attempt_at=when, now=when)
    return time.perf_counter() - started


def placement(stories: int, hits: int, with_stories: bool) -> float:
    """Median seconds of a poll's write after ``stories`` stories were stored."""
    with tempfile.TemporaryDirectory() as folder:
        keeper = StoryKeeper([WATCH]) if with_stories else None
        store = Store(Path(folder) / "bench.db", stories=keeper)
        store.sync_feeds([FEED])
        for n in range(stories):
            _poll(store, n, START + timedelta(days=7 * n))
        now = START + timedelta(days=7 * stories)
        times = [_poll(store, stories + n, now + timedelta(minutes=n)) for n in range(hits)]
        store.close()
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--hits", type=int, default=300)
    options = parser.parse_args()
    rate, entries = figures_per_second()
    print(f"(a) figures: {rate:,.0f} entries/s on one core ({entries} labeled entries x 20)")
    print("(b) one new hit stored with its story, median of", options.hits, "polls:")
    base = None
    for count in options.stories:
        plain = placement(count, options.hits, with_stories=False)
        placed = placement(count, options.hits, with_stories=True)
        base = base or placed
        print(
            f"    {count:>6} stories stored: {placed * 1000:.2f} ms with stories,"
            f" {plain * 1000:.2f} ms without ({placed / plain:.2f}x);"
            f" {placed / base:.2f}x the first row"
        )


if __name__ == "__main__":
    main()
