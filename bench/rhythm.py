"""Polling by each feed's rhythm against a fixed interval: a simulated day, no network.

    python -m bench.rhythm [--feeds 300] [--busy 5] [--medium 50] [--warmup 7] [--seed 14]

A discrete-event simulation with the real planner (``monitor.rhythm``: history, counts,
balance, plan). Feeds publish as Poisson processes at their own rates: ``--busy`` wire
feeds at 100 to 300 items a day, ``--medium`` feeds at 10 to 40, the rest quiet at 0.1
to 1.5 a day; busy and medium feeds follow a daily cycle (twice as much at their peak
hour as on average, little at night). Every feed is configured at the fixed interval
(15m). The adaptive run first lives ``--warmup`` days, to learn each feed's history,
and both runs are measured on the day after: requests made that day, and for each item
published that day its delay from publication to the poll that finds it (the alert).
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import random
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from monitor import rhythm

DAY = 86400.0
START = datetime(2025, 3, 3, tzinfo=UTC)
FIXED = timedelta(minutes=15)
BOUNDS = rhythm.bounds(
    FIXED, adaptive=True, min_interval=timedelta(minutes=2), max_interval=timedelta(hours=2)
)


@dataclass
class Feed:
    name: str
    kind: str  # busy, medium, quiet
    per_day: float
    peak: int  # hour of day (UTC) of most items
    items: list[float]  # publication times, seconds from START, sorted


def shape(hour: float, peak: int, depth: float) -> float:
    """The daily cycle: 1 + depth at the peak hour, 1 - depth twelve hours later."""
    return 1 + depth * math.cos(2 * math.pi * (hour - peak) / 24)


def publish(
    per_day: float, peak: int, depth: float, days: float, rnd: random.Random
) -> list[float]:
    """A Poisson process thinned by the daily cycle (Lewis and Shedler)."""
    top = per_day / 24 * (1 + depth) / 3600  # items a second at the peak
    times: list[float] = []
    at = 0.0
    while True:
        at += rnd.expovariate(top)
        if at >= days * DAY:
            return times
        if rnd.random() * (1 + depth) <= shape((at % DAY) / 3600, peak, depth):
            times.append(at)


def make_feeds(count: int, busy: int, medium: int, days: float, seed: int) -> list[Feed]:
    rnd = random.Random(seed)
    feeds = []
    for number in range(count):
        if number < busy:
            kind, per_day, depth = "busy", rnd.uniform(100, 300), 0.8
        elif number < busy + medium:
            kind, per_day, depth = "medium", rnd.uniform(10, 40), 0.6
        else:
            kind, per_day, depth = "quiet", rnd.uniform(0.1, 1.5), 0.0
        peak = rnd.randrange(6, 18)
        items = publish(per_day, peak, depth, days, rnd)
        feeds.append(Feed(f"{kind}-{number}", kind, per_day, peak, items))
    return feeds


@dataclass
class Result:
    requests: int
    delays: dict[str, list[float]]  # kind -> minutes, for items published on the day


def simulate(feeds: list[Feed], warmup: int, adaptive: bool, seed: int, every: timedelta) -> Result:
    """Poll every feed from day 0 to the end of the measured day (and after, until the
    day's items are found); count the measured day's requests and delays."""
    rnd = random.Random(seed)
    day_start, day_end = warmup * DAY, (warmup + 1) * DAY
    budget = rhythm.Budget(every)
    heap = [(rnd.uniform(0, FIXED.total_seconds()), index) for index in range(len(feeds))]
    heapq.heapify(heap)
    found = [0] * len(feeds)  # items already found, per feed
    seen: list[list[tuple[datetime | None, datetime]]] = [[] for _ in feeds]
    first: list[datetime | None] = [None] * len(feeds)
    requests = 0
    delays: dict[str, list[float]] = {"busy": [], "medium": [], "quiet": []}
    end = day_end + 3 * BOUNDS.longest.total_seconds()
    while heap:
        at, index = heapq.heappop(heap)
        if at > end:
            break
        feed = feeds[index]
        now = START + timedelta(seconds=at)
        if day_start <= at < day_end:
            requests += 1
        before = found[index]
        while found[index] < len(feed.items) and feed.items[found[index]] <= at:
            published = feed.items[found[index]]
            if day_start <= published < day_end:
                delays[feed.kind].append((at - published) / 60)
            if adaptive:
                seen[index].append((START + timedelta(seconds=published), now))
            found[index] += 1
        if not adaptive:
            heapq.heappush(heap, (at + FIXED.total_seconds(), index))
            continue
        first[index] = first[index] or now
        if found[index] > before:
            cutoff = now - rhythm.HISTORY
            seen[index] = [pair for pair in seen[index] if pair[1] >= cutoff]
        counts = rhythm.counts(rhythm.history(seen[index], first[index], now), now)
        budget.note(feed.name, counts, BOUNDS)
        planned = rhythm.plan(
            limits=BOUNDS,
            seen=counts,
            reference=budget.reference(now),
            server=rhythm.ServerLimits(),
            now=now,
        )
        heapq.heappush(heap, (at + (planned.at - now).total_seconds(), index))
    return Result(requests, delays)


def figures(values: list[float]) -> dict[str, float]:
    if not values:
        return {"items": 0, "median_min": 0.0, "p95_min": 0.0}
    ordered = sorted(values)
    return {
        "items": len(values),
        "median_min": round(statistics.median(ordered), 2),
        "p95_min": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 2),
    }


def report(result: Result) -> dict[str, object]:
    every = [d for kind in result.delays.values() for d in kind]
    return {
        "requests_per_day": result.requests,
        "all": figures(every),
        **{kind: figures(values) for kind, values in result.delays.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=300)
    parser.add_argument("--busy", type=int, default=5)
    parser.add_argument("--medium", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=3, help="days learned before the day")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument(
        "--balance-every", type=float, default=60.0, help="minutes between balances"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    feeds = make_feeds(args.feeds, args.busy, args.medium, args.warmup + 2, args.seed)
    started = time.perf_counter()
    every = timedelta(minutes=args.balance_every)
    results = {
        "fixed 15m": report(simulate(feeds, args.warmup, False, args.seed, every)),
        "adaptive": report(simulate(feeds, args.warmup, True, args.seed, every)),
    }
    elapsed = time.perf_counter() - started
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(
        f"{args.feeds} feeds ({args.busy} busy, {args.medium} medium), a day after"
        f" {args.warmup} days of history; simulated in {elapsed:.1f}s\n"
    )
    head = f"{'schedule':<10} {'requests/day':>12}  " + "  ".join(
        f"{kind + ' median/p95 (min)':>26}" for kind in ("all", "busy", "medium", "quiet")
    )
    print(head)
    for name, row in results.items():
        cells = []
        for kind in ("all", "busy", "medium", "quiet"):
            got = row[kind]
            assert isinstance(got, dict)
            cells.append(f"{got['median_min']:>8.2f} / {got['p95_min']:<7.2f} ({got['items']:>5})")
        print(f"{name:<10} {row['requests_per_day']:>12}  " + "  ".join(f"{c:>26}" for c in cells))


if __name__ == "__main__":
    main()
