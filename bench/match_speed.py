"""How fast matching is, and what its cost grows with.

    python -m bench.match_speed [--repeat 5] [--watches DIR]

1. Entries per second through every shipped watch, on the labeled development set's
   entries (real feed-entry shapes in nine languages), on one core; and the cost of
   also telling near misses (``Matcher.judge``, what a poll runs) against matching alone.
2. Cost against the number of terms: the same entries through watches of 10 to 10,000
   generated terms. With one Aho-Corasick automaton per watch the cost should stay flat.
3. Cost against text length: the same watch over summaries 1x to 16x as long; it should
   grow linearly (the ratio of time to length stays about the same).

Each figure is the median of ``--repeat`` runs; ratios matter more than seconds.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from dataclasses import replace
from pathlib import Path

from monitor.match import Matcher
from monitor.records import Entry
from monitor.watch import GroupSpec, WatchSpec, load_watches

ROOT = Path(__file__).resolve().parent.parent


def entries() -> list[Entry]:
    lines = (ROOT / "tests" / "data" / "nk_dev.jsonl").read_text(encoding="utf-8").splitlines()
    items = [json.loads(line) for line in lines]
    return [Entry(i["id"], None, i["title"], i["summary"], None, i["lang"]) for i in items]


def median_seconds(
    matcher: Matcher, batch: list[Entry], repeat: int, *, near: bool = False
) -> float:
    """Median time of ``matches`` (or, with ``near``, of ``judge``: matches and near
    misses, what a poll's workers run) over ``batch``."""
    judge = matcher.judge if near else matcher.matches
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        for entry in batch:
            judge(entry)
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def generated_watch(terms: int, rng: random.Random) -> WatchSpec:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = ["".join(rng.choices(letters, k=rng.randint(5, 10))) for _ in range(terms)]
    forms = [
        w + "*" if i % 3 == 0 else "*" + w + "*" if i % 3 == 1 else w for i, w in enumerate(words)
    ]
    third = max(1, terms // 3)
    groups = tuple(
        GroupSpec(f"g{n}", tuple(forms[n * third : (n + 1) * third] or forms[:1])) for n in range(3)
    )
    return WatchSpec("generated", groups)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--watches", type=Path, default=ROOT / "config" / "watches", help="a watches folder"
    )
    args = parser.parse_args()
    rng = random.Random(7)
    batch = entries() * 20
    watches, problems = load_watches(args.watches)
    assert not problems, problems
    shipped = Matcher(watches)
    seconds = median_seconds(shipped, batch, args.repeat)
    chars = sum(len(e.title) + len(e.summary) for e in batch) / len(batch)
    print(f"shipped watches ({len(watches)}), {len(batch)} entries of {chars:.0f} characters:")
    each = seconds / len(batch) * 1e6
    print(f"  {len(batch) / seconds:,.0f} entries/s on one core ({each:.0f} µs each)")
    judged = median_seconds(shipped, batch, args.repeat, near=True)
    print(f"  with near misses (judge, as a poll runs): x{judged / seconds:.2f} of matching alone")
    # The same terms without the rule (every required group present): what the rule's
    # about(), lead(), near() and title() checks add to finding the terms.
    plain = Matcher([replace(w, rule=None) for w in watches])
    bare = median_seconds(plain, batch, args.repeat)
    print(f"  its rule (about, lead, near, title) costs x{seconds / bare:.2f} of its terms alone")

    print("\nterms in the watch -> time per entry (ratio to 10 terms)")
    base = None
    for count in (10, 100, 1_000, 10_000):
        t = median_seconds(Matcher([generated_watch(count, rng)]), batch, args.repeat) / len(batch)
        base = base or t
        print(f"  {count:>6} terms: {t * 1e6:7.1f} µs  x{t / base:.2f}")

    print("\nsummary length -> time per entry (ratio to 1x)")
    base = None
    for factor in (1, 4, 16):
        longer = [
            Entry(e.key, None, e.title, (e.summary + " ") * factor, None, e.language)
            for e in batch[:1000]
        ]
        t = median_seconds(shipped, longer, args.repeat) / len(longer)
        base = base or t
        print(f"  {factor:>2}x: {t * 1e6:8.1f} µs  x{t / base:.2f}")


if __name__ == "__main__":
    main()
