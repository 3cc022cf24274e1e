"""What the review page, ``monitor feeds`` and housekeeping cost on a big database.

    python -m bench.queries [--entries 1000000 --hits 500000 --feeds 1000 --repeat 5]

``generate`` fills a database with direct SQL inserts (the triggers of the schema keep
its counters and the hits' sort columns, as in use): ``--feeds`` feeds whose entries
span 89 days, every n-th entry a hit of one of five watches, stories, figures, near
misses and a fetch log. It is built once per size and kept in a cache folder
(``--cache``, default a folder in the system's temporary directory), then copied.

Reported, each the median of ``--repeat`` runs, in milliseconds of query time:

1. the review page's first page: the hit list, its count, its filters' values and the
   navigation's counts; unfiltered, and for one watch's new hits;
2. ``monitor feeds`` (``feeds_health``) and the Feeds page (``review.feed_health``);
3. one housekeeping round (prune, with a retention of 88 days, and the dead-feed
   checks), after a first one;
4. inserting one hit (its own transaction) at 1,000 hits and at ``--hits``, and the
   ratio: it should stay near 1.

Each figure is printed as a Markdown table; ``tests/test_query_plans.py`` checks the
plans of the same queries over a smaller database built by ``generate``.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor import config as config_module
from monitor import housekeeping, review
from monitor.config import Config
from monitor.records import Match, TermHit
from monitor.store import Store, iso

NOW = datetime(2025, 3, 1, tzinfo=UTC)
SPAN = timedelta(days=89)
WATCHES = ("w0", "w1", "w2", "w3", "w4")
LANGUAGES = ("en", "de", "ko", "fr", "ja")
# One hit in five is new, the others were triaged: seen mostly.
HIT_STATUSES = ("new", "seen", "seen", "relevant", "irrelevant", "seen", "seen", "seen")


def generate(path: Path, *, entries: int, hits: int, feeds: int, now: datetime = NOW) -> None:
    """A database at ``path`` of ``feeds`` feeds, ``entries`` entries over 89 days up to
    ``now`` (entry ``e`` of feed ``e % feeds``, newer as ``e`` grows), ``hits`` hits
    (every n-th entry, across five watches), a story per ten hits, a figure per five,
    a near miss per ten entries and a fetch-log row per entry."""
    step = SPAN / max(entries, 1)
    every = max(entries // max(hits, 1), 1)
    Store(path).close()  # the schema, by its migrations
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        # A scratch file: no journal, a big cache; back to WAL once filled.
        for pragma in ("journal_mode = DELETE", "journal_mode = OFF", "synchronous = OFF"):
            conn.execute(f"PRAGMA {pragma}")
        conn.execute("PRAGMA cache_size = -400000")
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO feeds (name, url, outlet, language) VALUES (?, ?, ?, ?)",
            (
                (f"feed{f}", f"https://x{f}.example/rss", f"o{f}", LANGUAGES[f % 5])
                for f in range(feeds)
            ),
        )

        def at(e: int) -> str:
            return iso(now - SPAN + step * e) or ""

        conn.executemany(
            "INSERT INTO entries (feed_id, outlet, key, url, title, summary, language,"
            " published, first_seen_at, fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    e % feeds + 1,
                    f"o{e % feeds}",
                    f"k{e}",
                    f"https://x{e % feeds}.example/{e}",
                    f"Headline number {e} about troops",
                    f"summary {e % 997}",
                    LANGUAGES[e % feeds % 5],
                    None if e % 10 == 0 else iso(now - SPAN + step * e - timedelta(minutes=9)),
                    at(e),
                    f"fp{e}",
                )
                for e in range(entries)
            ),
        )
        chosen = [e for e in range(0, entries, every)][:hits]
        stories = max(len(chosen) // 10, 1)
        conn.executemany(
            "INSERT INTO stories (watch, title, first_seen, last_seen, hits, status)"
            " VALUES (?, 't', ?, ?, 10, ?)",
            (
                (
                    WATCHES[s % 5],
                    at(chosen[s * 10]),
                    at(chosen[min(s * 10 + 9, len(chosen) - 1)]),
                    ("new", "seen")[s % 2],
                )
                for s in range(stories)
                if s * 10 < len(chosen)
            ),
        )
        conn.executemany(
            "INSERT INTO hits (watch, entry_id, score, matched, terms, created_at, status,"
            " story_id) VALUES (?, ?, 1.0, '[]', '[]', ?, ?, ?)",
            (
                (WATCHES[h % 5], e + 1, at(e), HIT_STATUSES[h % 8], h // 10 + 1)
                for h, e in enumerate(chosen)
            ),
        )
        conn.executemany(
            "INSERT INTO figures (hit_id, story_id, kind, value, source, reported_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                (h + 1, h // 10 + 1, ("killed", "injured")[h % 2], h % 50, f"o{h % 7}", at(e))
                for h, e in enumerate(chosen)
                if h % 5 == 0
            ),
        )
        conn.executemany(
            "INSERT OR IGNORE INTO near_misses (watch, entry_id, why, missing, terms,"
            " created_at) VALUES (?, ?, 'no place', '[]', '[]', ?)",
            ((WATCHES[e // 10 % 5], e + 2, at(e + 1)) for e in range(0, entries - 1, 10)),
        )
        conn.executemany(
            "INSERT INTO fetch_log (feed_id, at, status) VALUES (?, ?, ?)",
            ((e % feeds + 1, at(e), "error" if e % 13 == 0 else "ok") for e in range(entries)),
        )
        conn.execute(
            "UPDATE feeds SET last_success_at = ?, last_fetch_at = ?", [iso(now), iso(now)]
        )
        conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode = WAL")


def cached(cache: Path, *, entries: int, hits: int, feeds: int) -> Path:
    """The generated database of this size, built once into ``cache``."""
    path = cache / f"queries-{entries}-{hits}-{feeds}.db"
    if not path.exists():
        building = path.with_suffix(".building")
        for stale in cache.glob(building.name + "*"):
            stale.unlink()
        generate(building, entries=entries, hits=hits, feeds=feeds)
        with closing(sqlite3.connect(building)) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("ANALYZE")  # as the daemon's weekly PRAGMA optimize leaves it
        building.rename(path)
    return path


def copy_of(path: Path, folder: Path) -> Path:
    target = folder / path.name
    shutil.copyfile(path, target)
    return target


def median_ms(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def first_page(store: Store, filters: review.HitFilter) -> None:
    """What ``/hits`` asks of the database for its first page (``web_hits.hits``)."""
    review.find_hits(store, filters, limit=50)
    review.count_hits(store, filters)
    review.facets(store)
    review.new_counts(store)


def housekeeping_config(folder: Path) -> Config:
    """A config of the shipped watches and default settings (housekeeping's)."""
    path = folder / "monitor.toml"
    watches = Path(__file__).resolve().parent.parent / "config" / "watches"
    path.write_text(f'database = "monitor.db"\nwatches_dir = "{watches}"\n', encoding="utf-8")
    return config_module.load(path)


RETENTION = timedelta(days=88)  # a day less than the entries span: rounds prune


def round_of(store: Store, config: Config, now: datetime) -> None:
    """One hourly round, less the weekly vacuum and the mail (nothing to tell)."""
    housekeeping.prune(store, now, RETENTION)
    housekeeping.flag_feeds(store, config, now)


def insert_ms(path: Path, repeat: int) -> float:
    """The median cost of inserting one hit, in its own transaction, of an entry that
    has none yet (its FTS indexing, counters and sort columns included)."""
    with closing(Store(path)) as store:
        free = [
            row[0]
            for row in store.conn.execute(
                "SELECT id FROM entries WHERE id NOT IN (SELECT entry_id FROM hits)"
                " ORDER BY id DESC LIMIT ?",
                [repeat * 20],
            )
        ]
        times = []
        match = (Match("bench", 1.0, (TermHit("troops", "troops", "title"),)),)
        for entry_id in free:
            start = time.perf_counter()
            with store.write() as db:
                store._insert_hits(db, entry_id, match, NOW)
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--hits", type=int, default=500_000)
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "monitor-bench")
    args = parser.parse_args()
    logging.getLogger("monitor").setLevel(logging.ERROR)  # no line per feed flagged
    args.cache.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    big = cached(args.cache, entries=args.entries, hits=args.hits, feeds=args.feeds)
    small_entries = max(args.entries // 50, 2000)
    small = cached(args.cache, entries=small_entries, hits=1000, feeds=args.feeds)
    print(f"databases ready in {time.perf_counter() - start:.0f} s ({big})\n")
    rows: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        config = housekeeping_config(work)
        with closing(Store(copy_of(big, work))) as store:
            every, new = review.HitFilter(), review.HitFilter(watch="w1", status="new")
            rows.append(
                (
                    "review page, first page, every hit",
                    median_ms(lambda: first_page(store, every), args.repeat),
                )
            )
            rows.append(
                (
                    "review page, first page, one watch's new hits",
                    median_ms(lambda: first_page(store, new), args.repeat),
                )
            )
            rows.append(
                ("`monitor feeds` (feeds_health)", median_ms(store.feeds_health, args.repeat))
            )
            rows.append(
                (
                    "Feeds page (feed_health, with entries per day)",
                    median_ms(lambda: review.feed_health(store, NOW), args.repeat),
                )
            )
            # With a retention a day shorter than the entries span, the first round
            # prunes a day of entries; each round after it, an hour later, the hour's.
            hours = iter(range(10_000))
            later = NOW + timedelta(hours=1)
            first = median_ms(lambda: round_of(store, config, later), 1)
            rows.append(("housekeeping, a first round (prunes a day of entries)", first))
            rows.append(
                (
                    "housekeeping, one hourly round",
                    median_ms(
                        lambda: round_of(store, config, later + timedelta(hours=next(hours) + 1)),
                        args.repeat,
                    ),
                )
            )
        small_ms = insert_ms(copy_of(small, work), args.repeat)
        big_ms = insert_ms(copy_of(big, work), args.repeat)
    rows.append(("insert one hit, at 1,000 hits", small_ms))
    rows.append((f"insert one hit, at {args.hits:,} hits", big_ms))
    print(
        f"{args.entries:,} entries, {args.hits:,} hits, {args.feeds:,} feeds;"
        f" median of {args.repeat} runs\n"
    )
    print("| query | ms |\n|---|---:|")
    for name, ms in rows:
        print(f"| {name} | {ms:.1f} |")
    print(f"| insert ratio ({args.hits:,} / 1,000 hits) | {big_ms / small_ms:.2f} |")


if __name__ == "__main__":
    main()
