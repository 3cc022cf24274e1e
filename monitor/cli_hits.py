"""The hit commands: ``hits``, ``show``, ``mark``, ``export``. Registered on ``cli.cli``.

They list, show, triage and export the hits that ``poll`` and ``rescan`` stored, through
the queries of ``monitor.review``.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import click

from monitor import render
from monitor.cli import cli, config_of, open_store, pick_watch
from monitor.cli_params import Duration, RowId, cutoff, limit_option
from monitor.config import Config
from monitor.pipeline import utcnow
from monitor.review import MARKS, STATUSES, HitFilter, count_hits, find_hits, search_problem
from monitor.store import Store
from monitor.stories.review import figures_by_hit


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="A JSON array of hit objects.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV with a header row.")
@click.option("--since", type=Duration(), help="Only hits found within this time, e.g. 7d.")
@click.option("--watch", help="Only hits of this watch.")
@click.option("--status", type=click.Choice(STATUSES), help="Only hits with this triage mark.")
@click.option("--search", help="Full-text search in headlines and summaries.")
@limit_option()
@click.pass_context
def hits(
    ctx: click.Context,
    as_json: bool,
    as_csv: bool,
    since: timedelta | None,
    watch: str | None,
    status: str | None,
    search: str | None,
    limit: int,
) -> None:
    """List the newest hits, with their triage mark.

    Example: monitor hits --since 7d --search Kursk --json
    """
    if as_json and as_csv:
        raise click.UsageError("choose one of --json and --csv")
    config = config_of(ctx)
    store = open_store(config)
    try:
        _check_watch(config, store, watch)
        found_since = cutoff(utcnow(), since)
        problem = search_problem(search) if search else None
        if problem:
            raise click.BadParameter(problem, param_hint="--search")
        filters = HitFilter(watch=watch, status=status, search=search, found_since=found_since)
        rows = find_hits(store, filters, limit=limit)
    finally:
        store.close()
    if as_json:
        click.echo(render.hits_json(rows))
    elif as_csv:
        click.echo(render.hits_csv(rows), nl=False)
    else:
        click.echo(render.hits_table(rows, config.timezone))


@cli.command()
@click.argument("hit_id", type=RowId("monitor hits"))
@click.pass_context
def show(ctx: click.Context, hit_id: int) -> None:
    """Show one hit in full, its matched terms highlighted.

    Example: monitor show 12
    """
    config = config_of(ctx)
    store = open_store(config)
    row = store.hit(hit_id)
    store.close()
    if row is None:
        raise click.ClickException(f"no hit with id {hit_id}; `monitor hits` lists them")
    color = sys.stdout.isatty()

    def mark(text: str) -> str:
        return click.style(text, bold=True, fg="yellow") if color else f"[{text}]"

    click.echo(render.hit_detail(row, config.timezone, mark))


@cli.command()
@click.argument("hit_id", type=RowId("monitor hits"))
@click.argument("status", type=click.Choice(MARKS))
@click.option("--note", help="A note to keep with the hit (an empty string removes it).")
@click.pass_context
def mark(ctx: click.Context, hit_id: int, status: str, note: str | None) -> None:
    """Triage a hit: relevant, irrelevant or seen, with an optional note.

    Example: monitor mark 12 relevant --note "second deployment, JCS figure"
    """
    from monitor.review import mark as set_mark

    config = config_of(ctx)
    store = open_store(config)
    try:
        if not set_mark(store, hit_id, status, note, utcnow()):
            raise click.ClickException(f"no hit with id {hit_id}; `monitor hits` lists them")
    finally:
        store.close()
    click.echo(f"hit {hit_id}: {status}" + (f" ({note})" if note else ""))


@cli.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json", "jsonl"]),
    default="csv",
    show_default=True,
)
@click.option("--since", type=Duration(), help="Only hits found within this time, e.g. 30d.")
@click.option("--watch", help="Only hits of this watch.")
@click.option("--status", type=click.Choice(STATUSES), help="Only hits with this triage mark.")
@click.option("--bom", is_flag=True, help="Start a CSV with a UTF-8 byte order mark (Excel).")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this new file instead of standard output.",
)
@click.option("--force", is_flag=True, help="Let -o replace an existing file.")
@click.pass_context
def export(
    ctx: click.Context,
    fmt: str,
    since: timedelta | None,
    watch: str | None,
    status: str | None,
    bom: bool,
    output: Path | None,
    force: bool,
) -> None:
    """Export hits with their entry, feed, matched terms, triage mark and note.

    CSV cells that would start a spreadsheet formula are quoted as text. -o refuses to
    replace an existing file unless --force is given.

    Example: monitor export --format csv --since 30d --status relevant -o hits.csv
    """
    from monitor import export as exporter

    config = config_of(ctx)
    if output is not None and not force and output.exists():
        raise click.ClickException(f"{output} exists; choose a new file name, or pass --force")
    store = open_store(config)
    try:
        _check_watch(config, store, watch)
        filters = HitFilter(watch=watch, status=status, found_since=cutoff(utcnow(), since))
        rows = find_hits(store, filters, limit=None)
        figures = figures_by_hit(store, [r["id"] for r in rows])
        rows = [{**r, "figures": figures.get(r["id"], [])} for r in rows]
    finally:
        store.close()
    text = exporter.to_csv(rows, bom=bom) if fmt == "csv" else exporter.FORMATS[fmt](rows)
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        # "x" creates the file only if it is still absent: no race with the check above.
        with output.open("w" if force else "x", encoding="utf-8", newline="") as out:
            out.write(text)
    except FileExistsError:
        raise click.ClickException(
            f"{output} exists; choose a new file name, or pass --force"
        ) from None
    except OSError as exc:
        raise click.ClickException(
            f"cannot write {output}: {exc.strerror}; check that its folder exists"
        ) from exc
    click.echo(f"{len(rows)} hits written to {output}", err=True)


def _check_watch(config: Config, store: Store, name: str | None) -> None:
    """``--watch`` of hits and export: a configured watch, or one with hits in the database.

    A watch removed from the config keeps its hits, and they stay listable by its name;
    any other name is most likely a typo, which an empty list would hide.
    """
    if name is None or name in {w.name for w in config.watches}:
        return
    if name and count_hits(store, HitFilter(watch=name)):
        return
    pick_watch(config, name)  # raises, naming the configured watches
