"""Time whole passes of ``monitor`` over a farm of feeds, and the floor under them.

    farm.generate -> server.serving (own process, ETag, added latency)
        -> floor: feedparser alone over the farm's bytes, 1 core and all cores, with its
           defaults and as monitor calls it
        -> fetch floor: aiohttp alone, conditional GETs of every unchanged feed (all 304)
        -> (a) first pass, fresh database          every feed 200, parsed, stored
        -> (b) unchanged pass                      every feed 304
        -> (c) 10% of feeds changed                2 new items on each of them
        -> fetch models and one-at-a-time fetching, on the unchanged pass
        -> Markdown table on stdout, numbers as JSON in --out

Each pass is ``Poller.poll_all`` over every feed, with the parser pool already started
(the daemon keeps it; its start is reported on its own line). Wall time is the median
of ``--repeat`` runs. CPU is user + system of this process and of its children, the
parser workers included, but not of the server process, reported apart.

Run: ``python -m bench.run`` (``make bench``); quick: ``--feeds 200 --repeat 1``.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import dataclasses
import functools
import json
import logging
import multiprocessing
import os
import platform
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import feedparser

from bench import farm
from bench.report import table
from bench.server import Server, etag_of, serving
from monitor import config as monitor_config
from monitor.fetch import Fetcher
from monitor.pipeline import Poller, fetch_settings
from monitor.store import Store

REPO = Path(__file__).resolve().parents[1]
WATCHES = REPO / "config" / "watches"
TICK = os.sysconf("SC_CLK_TCK")
TINY_FEED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>warm</title>'
    b"<item><title>warm up</title><link>https://example.org/warm</link></item></channel></rss>"
)


@dataclasses.dataclass
class Pass:
    """One timed pass: how long, how much CPU, what came back."""

    wall: float
    cpu: float  # this process and its children (parser workers)
    main_cpu: float  # this process alone: event loop, fetching, storing
    server_cpu: float
    statuses: dict[str, int]
    new_entries: int
    new_hits: int
    connections: int


def say(text: str) -> None:
    """Progress, on stderr; the table goes to stdout."""
    print(text, file=sys.stderr, flush=True)


# -- CPU accounting ---------------------------------------------------------------------


def _proc_cpu(pid: int) -> float:
    """user + system seconds of a live process, from /proc (0 when it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def _live_children() -> set[int]:
    pids: set[int] = set()
    for task in Path("/proc/self/task").iterdir():
        try:
            pids.update(int(p) for p in (task / "children").read_text().split())
        except OSError:
            continue
    return pids


def main_cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime


def cpu_seconds(exclude: int) -> float:
    """CPU of this process and its children, reaped (rusage) or still running (/proc).

    RUSAGE_CHILDREN only counts children once they have been waited for, and the
    parser workers live across passes, so the live ones are read from /proc. A child
    that ends during a pass moves from the second sum to the first: no double count.
    """
    me = resource.getrusage(resource.RUSAGE_SELF)
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = me.ru_utime + me.ru_stime + reaped.ru_utime + reaped.ru_stime
    return total + sum(_proc_cpu(pid) for pid in _live_children() if pid != exclude)


# -- the floor: feedparser alone ----------------------------------------------------------


# How the floor calls feedparser: with its defaults, as a program that only parses would
# ("feedparser alone"), and as ``monitor.parse`` calls it (no sanitizing, no resolving of
# relative links: monitor turns the HTML into text itself).
DEFAULTS: dict[str, bool] = {}
AS_MONITOR_CALLS = {"sanitize_html": False, "resolve_relative_uris": False}


def floor_parse(body: bytes, options: dict[str, bool] = DEFAULTS) -> tuple[int, float]:
    """feedparser over one body; (entries, CPU seconds)."""
    started = time.process_time()
    parsed = feedparser.parse(body, **options)
    return len(parsed.entries), time.process_time() - started


def measure_floor(
    bodies: list[bytes], workers: int, repeat: int, options: dict[str, bool] = DEFAULTS
) -> dict[str, Any]:
    parse = functools.partial(floor_parse, options=options)
    one_wall, one_cpu = [], []
    for _ in range(repeat):
        cpu, started = time.process_time(), time.perf_counter()
        entries = sum(parse(body)[0] for body in bodies)
        one_wall.append(time.perf_counter() - started)
        one_cpu.append(time.process_time() - cpu)
    all_wall, all_cpu = [], []
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
        list(pool.map(parse, [TINY_FEED] * workers * 4))  # start and import every worker
        for _ in range(repeat):
            cpu, started = time.process_time(), time.perf_counter()
            results = list(pool.map(parse, bodies, chunksize=4))
            all_wall.append(time.perf_counter() - started)
            all_cpu.append(time.process_time() - cpu + sum(r[1] for r in results))
    return {
        "entries": entries,
        "options": options,
        "one_core": {"wall": one_wall, "cpu": one_cpu},
        "all_cores": {"wall": all_wall, "cpu": all_cpu, "workers": workers},
    }


# -- the fetch floor: aiohttp alone ------------------------------------------------------


async def _conditional_gets(
    pairs: list[tuple[str, str]], in_flight: int, repeat: int
) -> list[tuple[float, float, Counter[int]]]:
    """``repeat`` passes of one GET per (url, ETag) with ``If-None-Match``, at most
    ``in_flight`` at a time, over one session (its connections kept, as monitor keeps
    its clients between passes): wall, CPU of this process and statuses of each pass."""
    out = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=in_flight)) as client:

        async def one(url: str, etag: str, statuses: Counter[int]) -> None:
            async with client.get(url, headers={"If-None-Match": etag}) as response:
                await response.read()
                statuses[response.status] += 1

        for _ in range(repeat):
            statuses: Counter[int] = Counter()
            cpu, started = main_cpu(), time.perf_counter()
            await asyncio.gather(*(one(url, etag, statuses) for url, etag in pairs))
            out.append((time.perf_counter() - started, main_cpu() - cpu, statuses))
    return out


def measure_fetch_floor(
    server: Server, folder: Path, feeds: list[farm.FarmFeed], in_flight: int, repeat: int
) -> dict[str, Any]:
    """What an unchanged pass costs with no feed reader at all: aiohttp asking every
    feed with its ETag, ``in_flight`` requests at a time, every answer a 304."""
    pairs = [
        (server.feed_url(f.name), etag_of((folder / f"{f.name}.xml").read_bytes())) for f in feeds
    ]
    passes = asyncio.run(_conditional_gets(pairs, in_flight, repeat))
    for _wall, _cpu, statuses in passes:
        if statuses != Counter({304: len(pairs)}):
            sys.exit(f"bench: the fetch floor expected {len(pairs)} answers 304, got {statuses}")
    walls, cpus = [p[0] for p in passes], [p[1] for p in passes]
    say(f"  fetch floor: {len(pairs)} × 304 in {statistics.median(walls):.2f}s")
    return {"in_flight": in_flight, "requests": len(pairs), "wall": walls, "cpu": cpus}


# -- passes of monitor -----------------------------------------------------------------------

Prepare = Callable[[], set[str] | None]  # runs before a pass; the feeds expected "ok" (None: all)


async def session(
    config: monitor_config.Config,
    store: Store,
    server: Server,
    prepares: list[Prepare],
    *,
    feeds: list[Any] | None = None,
    **fetch: Any,
) -> tuple[list[Pass], float]:
    """Open one Poller, start its parser pool, then time one pass per ``prepares`` item.

    ``fetch`` overrides ``FetchSettings`` fields (``shared_client=True``, ``concurrency=1``).
    Returns the passes and the time the parser pool took to start.
    """
    feeds = feeds if feeds is not None else config.enabled_feeds
    poller = Poller(config, store)
    if fetch:
        poller.fetcher = Fetcher(dataclasses.replace(fetch_settings(config), **fetch))
    passes = []
    async with poller:
        assert poller.parsers is not None
        started = time.perf_counter()
        warm = [poller.parsers.process(TINY_FEED, {}, None) for _ in range(poller.parsers.workers)]
        await asyncio.gather(*warm * 2)
        pool_start = time.perf_counter() - started
        for prepare in prepares:
            expect_ok = prepare()
            before = server.stats()["connections"]
            server_cpu = _proc_cpu(server.pid)
            main, cpu, started = main_cpu(), cpu_seconds(server.pid), time.perf_counter()
            outcomes = await poller.poll_all(feeds)
            wall = time.perf_counter() - started
            cpu, main = cpu_seconds(server.pid) - cpu, main_cpu() - main
            server_cpu = _proc_cpu(server.pid) - server_cpu
            result = Pass(
                wall=wall,
                cpu=cpu,
                main_cpu=main,
                server_cpu=server_cpu,
                statuses=dict(Counter(o.status for o in outcomes)),
                new_entries=sum(o.new_entries for o in outcomes),
                new_hits=sum(o.new_hits for o in outcomes),
                connections=server.stats()["connections"] - before - 1,  # - the stats request
            )
            check(outcomes, expect_ok, result)
            passes.append(result)
    return passes, pool_start


def check(outcomes: list[Any], expect_ok: set[str] | None, result: Pass) -> None:
    """Fail loudly when a pass did not do what the scenario says it must."""
    errors = [o for o in outcomes if o.status == "error"]
    if errors:
        shown = "\n".join(f"  {o.feed}: {o.error}" for o in errors[:10])
        sys.exit(f"bench: {len(errors)} feeds failed in a pass, first ones:\n{shown}")
    wrong = [
        o.feed for o in outcomes if (o.status == "ok") != (expect_ok is None or o.feed in expect_ok)
    ]
    if wrong:
        sys.exit(f"bench: unexpected status for {len(wrong)} feeds ({wrong[:5]}): {result}")
    say(f"  pass: {result.statuses} in {result.wall:.2f}s")


# -- the run ----------------------------------------------------------------------------


def write_config(work: Path, server: Server, feeds: list[farm.FarmFeed], concurrency: int) -> Path:
    lines = [
        f"database = {json.dumps(str(work / 'monitor.db'))}",
        f"watches_dir = {json.dumps(str(WATCHES))}",
        "",
        "[fetch]",
        f"concurrency = {concurrency}",
    ]
    for feed in feeds:
        lines += [
            "",
            "[[feeds]]",
            f'name = "{feed.name}"',
            f'url = "{server.feed_url(feed.name)}"',
            f'language = "{feed.language}"',
            f'outlet = "{feed.outlet}"',
        ]
    path = work / "monitor.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    folder = work / "farm"
    started = time.perf_counter()
    feeds = farm.generate(folder, args.feeds, seed=args.seed)
    bodies = [(folder / f"{f.name}.xml").read_bytes() for f in feeds]
    topic_items = farm.topic_items(folder)
    say(
        f"farm: {len(feeds)} feeds, {sum(map(len, bodies)) / 1e6:.1f} MB, "
        f"{sum(f.size for f in feeds)} items ({topic_items} on the topic) "
        f"in {time.perf_counter() - started:.1f}s"
    )
    cores = os.cpu_count() or 1
    say(f"floor: feedparser alone, 1 core and {cores} cores ...")
    floor = measure_floor(bodies, cores, args.repeat)
    say("floor: feedparser as monitor calls it ...")
    as_called = measure_floor(bodies, cores, args.repeat, AS_MONITOR_CALLS)
    results: dict[str, Any] = {
        "machine": {
            "cpu_count": cores,
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "args": {k: str(v) for k, v in vars(args).items()},
        "farm": {
            "feeds": len(feeds),
            "bytes": sum(map(len, bodies)),
            "items": sum(f.size for f in feeds),
            "topic_items": topic_items,
            "formats": dict(Counter(f.format for f in feeds)),
        },
        "floor": floor,
        "floor_as_called": as_called,
        "scenarios": {},
    }
    with serving(folder, args.latency, args.connect_latency) as server:
        config = monitor_config.load(write_config(work, server, feeds, args.concurrency))
        scenarios = results["scenarios"]

        def record(
            key: str, label: str, passes: list[Pass], pool_start: float, scale: float = 1.0
        ) -> None:
            scenarios.setdefault(
                key, {"label": label, "passes": [], "pool_start": [], "scale": scale}
            )
            scenarios[key]["passes"] += [dataclasses.asdict(p) for p in passes]
            scenarios[key]["pool_start"].append(pool_start)

        say("(a) first pass, fresh database ...")
        for number in range(args.repeat):
            store = Store(work / f"first-{number}.db")
            passes, pool_start = asyncio.run(session(config, store, server, [lambda: None]))
            record("first", "(a) first pass, fresh database", passes, pool_start)
            if number < args.repeat - 1:
                store.close()
        say(f"fetch floor: aiohttp alone, {args.concurrency} in flight, every feed 304 ...")
        results["fetch_floor"] = measure_fetch_floor(
            server, folder, feeds, args.concurrency, args.repeat
        )
        unchanged: Prepare = set  # nothing expected "ok": every feed answers 304
        say("(b) unchanged pass ...")
        passes, pool_start = asyncio.run(session(config, store, server, [unchanged] * args.repeat))
        record("unchanged", "(b) unchanged pass (all 304)", passes, pool_start)
        say("(b) unchanged pass, one shared client ...")
        passes, pool_start = asyncio.run(
            session(config, store, server, [unchanged] * args.repeat, shared_client=True)
        )
        record("unchanged_shared", "(b) unchanged, one shared client", passes, pool_start)
        sample = config.enabled_feeds[: min(100, len(feeds))]
        say(f"(b) unchanged pass, one feed at a time, {len(sample)} feeds ...")
        passes, pool_start = asyncio.run(
            session(config, store, server, [unchanged], feeds=sample, concurrency=1)
        )
        scale = len(feeds) / len(sample)
        label = f"(b) one at a time: {len(sample)} feeds timed, ×{scale:g}"
        record("one_at_a_time", label, passes, pool_start, scale)

        def changed(seed: int) -> Prepare:
            return lambda: set(farm.change(folder, args.changed, seed=seed))

        say(f"(c) {args.changed:.0%} of feeds changed ...")
        prepares = [changed(seed) for seed in range(1, args.repeat + 1)]
        passes, pool_start = asyncio.run(session(config, store, server, prepares))
        record("changed", f"(c) {args.changed:.0%} of feeds changed", passes, pool_start)
        results["stored"] = store.counts()
        store.close()
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=1000, help="feeds in the farm")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added per request")
    parser.add_argument(
        "--connect-latency",
        type=float,
        default=0.0,
        help="seconds added once per new connection (handshake round trips)",
    )
    parser.add_argument("--concurrency", type=int, default=50, help="fetch.concurrency")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each pass (median)")
    parser.add_argument("--changed", type=float, default=0.1, help="fraction changed in (c)")
    parser.add_argument("--seed", type=int, default=2025, help="seed of the farm")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "results.json")
    parser.add_argument("--workdir", type=Path, help="keep farm and databases here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    started = time.perf_counter()
    if args.workdir:
        shutil.rmtree(args.workdir, ignore_errors=True)
        args.workdir.mkdir(parents=True)
        results = run(args, args.workdir)
    else:
        with tempfile.TemporaryDirectory(prefix="monitor-bench-") as work:
            results = run(args, Path(work))
    results["seconds"] = time.perf_counter() - started
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(table(results))
    print(f"\n(whole run {results['seconds']:.0f} s; numbers in {args.out})")


if __name__ == "__main__":
    main()
