"""Peak memory of the main process in a first pass, at several farm sizes.

    farm.generate (the largest size; the smaller ones are its first feeds)
        -> server.serving -> per size: a fresh child process runs one first pass
        -> Markdown table on stdout, numbers as JSON in --out

Each pass runs in a child process of its own (``python -m bench.memory --child``), so
the farm, the server and earlier passes do not count: the child loads the config,
opens a fresh database, starts the parser pool, and times
``Poller(config, store).poll_all(config.enabled_feeds)``. It reports the peak resident
set of its own process (``VmHWM`` in ``/proc/self/status``; the parser workers are
processes of their own and are not in it), its resident set before the pass, and the
pass's wall time.

Run: ``python -m bench.memory`` (1,000, 5,000 and 20,000 feeds; about 750 MB of farm in
a temporary folder); quick: ``--sizes 1000``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import farm
from bench.run import REPO, TINY_FEED, say, write_config
from bench.server import serving
from monitor import config as monitor_config
from monitor.pipeline import Poller
from monitor.store import Store


def status_mb(field: str) -> float:
    """A ``kB`` field of ``/proc/self/status`` (``VmHWM``, ``VmRSS``), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


async def first_pass(config: monitor_config.Config, database: Path) -> dict[str, Any]:
    store = Store(database)
    try:
        async with Poller(config, store) as poller:
            assert poller.parsers is not None
            warm = [
                poller.parsers.process(TINY_FEED, {}, None) for _ in range(poller.parsers.workers)
            ]
            await asyncio.gather(*warm * 2)
            before = status_mb("VmRSS")
            started = time.perf_counter()
            outcomes = await poller.poll_all(config.enabled_feeds)
            wall = time.perf_counter() - started
            waiting_peak = getattr(poller, "waiting_peak", None)
    finally:
        store.close()
    failed = [o for o in outcomes if o.status != "ok"]
    if failed:
        raise SystemExit(f"bench: {len(failed)} feeds did not answer 200, first: {failed[0]}")
    return {
        "feeds": len(outcomes),
        "wall": wall,
        "rss_before_mb": before,
        "peak_rss_mb": status_mb("VmHWM"),
        "new_entries": sum(o.new_entries for o in outcomes),
        "waiting_peak": waiting_peak,
    }


def child(config_path: Path) -> None:
    """One first pass in this process; its numbers as one line of JSON on stdout."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    config = monitor_config.load(config_path)
    database = config_path.with_suffix(".db")
    database.unlink(missing_ok=True)
    print(json.dumps(asyncio.run(first_pass(config, database))))


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    folder = work / "farm"
    largest = max(args.sizes)
    started = time.perf_counter()
    feeds = farm.generate(folder, largest, seed=args.seed)
    size = sum((folder / f"{f.name}.xml").stat().st_size for f in feeds)
    say(f"farm: {largest} feeds, {size / 1e6:.0f} MB in {time.perf_counter() - started:.0f}s")
    results: dict[str, Any] = {"cpu_count": os.cpu_count(), "args": vars(args), "passes": []}
    with serving(folder, args.latency) as server:
        for count in args.sizes:
            for number in range(args.repeat):
                path = write_config(work, server, feeds[:count], args.concurrency)
                path = path.rename(work / f"first-{count}-{number}.toml")
                say(f"first pass, {count} feeds ...")
                done = subprocess.run(
                    [sys.executable, "-m", "bench.memory", "--child", str(path)],
                    check=True,
                    capture_output=True,
                    text=True,
                    cwd=REPO,
                )
                numbers = json.loads(done.stdout.strip().splitlines()[-1])
                numbers["bytes"] = sum(
                    (folder / f"{f.name}.xml").stat().st_size for f in feeds[:count]
                )
                say(f"  {numbers}")
                results["passes"].append(numbers)
    return results


def table(results: dict[str, Any]) -> str:
    rows = [
        "| feeds | farm MB | wall s | RSS before pass MB | peak RSS MB | bodies waiting, peak |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for p in results["passes"]:
        waiting = "–" if p["waiting_peak"] is None else p["waiting_peak"]
        rows.append(
            f"| {p['feeds']:,} | {p['bytes'] / 1e6:.0f} | {p['wall']:.2f} "
            f"| {p['rss_before_mb']:.0f} | {p['peak_rss_mb']:.0f} | {waiting} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.memory", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--sizes",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[1000, 5000, 20000],
        help="farm sizes, comma-separated",
    )
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added per request")
    parser.add_argument("--concurrency", type=int, default=50, help="fetch.concurrency")
    parser.add_argument("--repeat", type=int, default=1, help="passes at each size")
    parser.add_argument("--seed", type=int, default=2025, help="seed of the farm")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "memory.json")
    parser.add_argument("--workdir", type=Path, help="keep farm, configs and databases here")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child)
        return
    if args.workdir:
        shutil.rmtree(args.workdir, ignore_errors=True)
        args.workdir.mkdir(parents=True)
        results = run(args, args.workdir)
    else:
        with tempfile.TemporaryDirectory(prefix="monitor-memory-") as work:
            results = run(args, Path(work))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    results["args"] = {k: str(v) for k, v in results["args"].items()}
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(table(results))


if __name__ == "__main__":
    main()
