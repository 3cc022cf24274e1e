"""The Markdown table ``bench.run`` prints, from the numbers it saves as JSON.

See "Reading the table" in ``bench/README.md`` for what each column means.
"""

from __future__ import annotations

import statistics
from typing import Any

STATUSES = ("ok", "not_modified", "error")


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def table(results: dict[str, Any]) -> str:
    """The Markdown table and the notes under it."""
    floor, scenarios = results["floor"], results["scenarios"]
    cores = floor["all_cores"]["workers"]
    floor_wall = median(floor["all_cores"]["wall"])
    floor_cpu = median(floor["one_core"]["cpu"])
    rows = [
        "| scenario | ok / 304 / error | new entries | new hits | new conns "
        "| wall s | CPU s | of it main | wall / floor | CPU / floor CPU |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def row(label: str, cells: tuple[object, ...], runs: dict[str, list[float]]) -> None:
        wall, cpu = median(runs["wall"]), median(runs["cpu"])
        main = f"{median(runs['main_cpu']):.2f}" if "main_cpu" in runs else "–"
        rows.append(
            f"| {label} | {' | '.join(map(str, cells))} | {wall:.2f} | {cpu:.2f} | {main} "
            f"| {wall / floor_wall:.2f} | {cpu / floor_cpu:.2f} |"
        )

    parsed = ("–", floor["entries"], "–", "–")
    one, every = floor["one_core"], floor["all_cores"]
    row("feedparser alone, 1 core", parsed, one)
    row(f"**floor**: feedparser alone, {cores} cores", parsed, every)
    as_called = results.get("floor_as_called")
    if as_called:
        row(f"feedparser as monitor calls it, {cores} cores", parsed, as_called["all_cores"])
    for scenario in scenarios.values():
        passes = scenario["passes"]
        last = passes[-1]
        counts = " / ".join(str(last["statuses"].get(s, 0)) for s in STATUSES)
        cells = (counts, last["new_entries"], last["new_hits"], last["connections"])
        scale = scenario["scale"]  # a pass timed over a sample, scaled to the whole farm
        runs = {key: [p[key] * scale for p in passes] for key in ("wall", "cpu", "main_cpu")}
        row(scenario["label"], cells, runs)
    fetch_floor = results.get("fetch_floor")
    if fetch_floor:
        n = fetch_floor["requests"]
        cells = (f"0 / {n} / 0", "–", "–", "–")
        runs = {"wall": fetch_floor["wall"], "cpu": fetch_floor["cpu"]}
        row(f"**fetch floor**: aiohttp alone, {fetch_floor['in_flight']} in flight", cells, runs)
    args, farm_info, stored = results["args"], results["farm"], results["stored"]
    machine = results["machine"]
    pool = median([s for v in scenarios.values() for s in v["pool_start"]])
    server_cpu = median([p["server_cpu"] for p in scenarios["first"]["passes"]])
    sequential = scenarios["one_at_a_time"]["passes"]
    per_feed = median([p["wall"] for p in sequential]) / sum(sequential[0]["statuses"].values())
    return "\n".join(
        [
            *rows,
            "",
            f"Farm: {farm_info['feeds']} feeds {farm_info['formats']}, "
            f"{farm_info['bytes'] / 1e6:.1f} MB, {farm_info['items']} items, "
            f"{farm_info['topic_items']} of them on the watched topic. "
            f"Latency {args['latency']} s per request, {args['connect_latency']} s more per new "
            f"connection; fetch.concurrency {args['concurrency']}; median of {args['repeat']} "
            f"runs; {machine['cpu_count']} cores, Python {machine['python']}.",
            f"Stored at the end: {stored['entries']} entries, {stored['hits']} hits, "
            f"{stored['fetch_log']} fetch-log rows.",
            f"Parser pool start ({cores} workers spawned, imports, matcher built): {pool:.2f} s, "
            "paid once by the daemon and by each `monitor poll`; not in the passes above.",
            f"One feed at a time: {per_feed * 1000:.0f} ms per feed, "
            f"{per_feed * farm_info['feeds']:.0f} s for {farm_info['feeds']} unchanged feeds.",
            f"Server CPU in a first pass: {server_cpu:.2f} s (its own process, not counted above).",
            *_against_fetch_floor(scenarios["unchanged"]["passes"], fetch_floor),
            *_against_as_called(
                scenarios["first"]["passes"], floor, results.get("floor_as_called")
            ),
        ]
    )


def _against_as_called(
    passes: list[dict[str, Any]], floor: dict[str, Any], as_called: dict[str, Any] | None
) -> list[str]:
    """The first pass against feedparser with its defaults and as monitor calls it."""
    if not as_called:
        return []
    wall = median([p["wall"] for p in passes])
    default = median(floor["all_cores"]["wall"])
    called = median(as_called["all_cores"]["wall"])
    options = ", ".join(f"{k}={v}" for k, v in as_called["options"].items())
    return [
        f"First pass against feedparser alone with its defaults: {wall / default:.2f}×; "
        f"against feedparser as monitor calls it ({options}): {wall / called:.2f}×."
    ]


def _against_fetch_floor(passes: list[dict[str, Any]], floor: dict[str, Any] | None) -> list[str]:
    """The unchanged pass against aiohttp alone: wall and CPU ratios, CPU per 304."""
    if not floor:
        return []
    n = floor["requests"]
    wall, cpu = median([p["wall"] for p in passes]), median([p["cpu"] for p in passes])
    floor_wall, floor_cpu = median(floor["wall"]), median(floor["cpu"])
    return [
        f"Unchanged pass against the fetch floor: wall {wall / floor_wall:.2f}×, "
        f"CPU {cpu / floor_cpu:.2f}×; CPU per 304 {cpu / n * 1000:.2f} ms "
        f"(aiohttp alone {floor_cpu / n * 1000:.2f} ms)."
    ]
