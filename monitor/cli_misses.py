"""The near-miss commands: ``misses``, ``flag``. Registered on ``cli.cli``.

A near miss is an entry a watch almost took (``Store.near_misses``); ``flag`` tells
the watch it was wrong, and the near miss becomes a relevant hit, placed in its story and
alerted like any other (``Store.flag_miss``).
"""

from __future__ import annotations

from datetime import timedelta

import click

from monitor import render
from monitor.cli import cli, config_of, open_store, pick_watch
from monitor.cli_params import Duration, RowId, cutoff, limit_option
from monitor.config import Config
from monitor.pipeline import utcnow
from monitor.store import Store


@cli.command()
@click.option("--since", type=Duration(), help="Only near misses kept within this time, e.g. 7d.")
@click.option("--watch", help="Only near misses of this watch.")
@click.option("--flagged", is_flag=True, help="The near misses already flagged, with their hit.")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of near-miss objects.")
@limit_option()
@click.pass_context
def misses(
    ctx: click.Context,
    since: timedelta | None,
    watch: str | None,
    flagged: bool,
    as_json: bool,
    limit: int,
) -> None:
    """Near misses, newest first: entries a watch almost took, and what they lacked.

    An entry is a near miss when some of the watch's required groups were found and at
    most one was not, or all were and the rule still said no. `monitor flag ID` makes one
    a hit. JSON objects carry id, watch, feed, outlet, language, title, url, published,
    created_at, why, missing, matched, terms, snippet, flagged_at and hit_id.

    Example: monitor misses --since 7d --watch nk-troops-russia
    """
    config = config_of(ctx)
    store = open_store(config)
    try:
        _check_watch(config, store, watch)
        rows = store.near_misses(
            watch=watch, since=cutoff(utcnow(), since), flagged=flagged, limit=limit
        )
    finally:
        store.close()
    if as_json:
        click.echo(render.misses_json(rows))
    else:
        click.echo(render.misses_table(rows, config.timezone, flagged=flagged))


@cli.command()
@click.argument("miss_id", type=RowId("monitor misses"))
@click.option("--note", help="A note to keep with the new hit.")
@click.pass_context
def flag(ctx: click.Context, miss_id: int, note: str | None) -> None:
    """Flag a near miss as a miss of the watch: it becomes a relevant hit.

    The hit (origin "flagged") is placed in its story and its alert is queued, as for
    any new hit; it stays a hit whatever a rescan says. Flagging twice gives the same
    hit. `monitor show ID` shows it, `monitor mark ID` triages it.

    Example: monitor flag 12 --note "a summit, but troops are the subject"
    """
    config = config_of(ctx)
    store = open_store(config)
    try:
        miss = store.near_miss(miss_id)
        if miss is None:
            raise click.ClickException(
                f"no near miss with id {miss_id}; `monitor misses` lists them"
            )
        hit_id = store.flag_miss(miss_id, utcnow(), note=(note or "").strip() or None)
        hit = store.hit(hit_id) if hit_id is not None else None
        plan = store.alerts.get(miss["watch"])
    finally:
        store.close()
    if hit_id is None or hit is None:  # gone between the two reads: pruned meanwhile
        raise click.ClickException(f"no near miss with id {miss_id}; `monitor misses` lists them")
    show = f"`monitor show {hit_id}` shows it"
    if miss["hit_id"] is not None:
        kept = f"; to note it: monitor mark {hit_id} relevant --note TEXT" if note else ""
        click.echo(f"near miss {miss_id} was already flagged: it is hit {hit_id}; {show}{kept}")
    elif hit["origin"] != "flagged":
        click.echo(
            f"near miss {miss_id} had become hit {hit_id} (a rescan matched it);"
            f" it is marked relevant now; {show}"
        )
    else:
        alerted = plan is not None and bool(plan.kinds or plan.channels)
        alert = "its alert is queued" if alerted else f"watch {miss['watch']} sends no alerts"
        click.echo(f"near miss {miss_id} is now hit {hit_id} (relevant); {alert}; {show}")


def _check_watch(config: Config, store: Store, name: str | None) -> None:
    """``--watch``: a configured watch, or one with near misses still in the database
    (removed from the config since); any other name is most likely a typo."""
    if name is None or name in {w.name for w in config.watches}:
        return
    if name and (
        store.count_near_misses(watch=name) or store.count_near_misses(watch=name, flagged=True)
    ):
        return
    pick_watch(config, name)  # raises, naming the configured watches
