"""The story commands: ``stories``, ``story``, ``figures``. Registered on ``cli.cli``."""

from __future__ import annotations

import json
from datetime import timedelta

import click

from monitor import render
from monitor.cli import cli, config_of, open_store
from monitor.cli_params import Duration, RowId, cutoff
from monitor.pipeline import utcnow
from monitor.stories.review import FigureFilter, find_figures, find_stories, get_story


@cli.command()
@click.option("--since", type=Duration(), help="Only stories active within this time, e.g. 7d.")
@click.option("--watch", help="Only stories of this watch.")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of story objects.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.pass_context
def stories(
    ctx: click.Context, since: timedelta | None, watch: str | None, as_json: bool, limit: int
) -> None:
    """Stories, newest activity first: headline, languages, figures.

    A story is one event across outlets and languages; see `monitor story ID`. JSON
    objects carry id, title, first_seen, last_seen, languages, outlets, hits (hit ids)
    and figures (kind, value, low, high, qualifier, source, hit_id, sentence ...).

    Example: monitor stories --since 7d --json
    """
    config = config_of(ctx)
    store = open_store(config)
    try:
        rows = find_stories(store, watch=watch, since=cutoff(utcnow(), since), limit=limit)
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
    else:
        click.echo(render.stories_table(rows, config.timezone))


@cli.command()
@click.argument("story_id", type=RowId("monitor stories"))
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@click.pass_context
def story(ctx: click.Context, story_id: int, as_json: bool) -> None:
    """One story: its figures with sources, and its articles by language, with why
    each one joined.

    Example: monitor story 3
    """
    config = config_of(ctx)
    store = open_store(config)
    try:
        found = get_story(store, story_id)
    finally:
        store.close()
    if found is None:
        raise click.ClickException(f"no story with id {story_id}; `monitor stories` lists them")
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=1))
    else:
        click.echo(render.story_detail(found, config.timezone))


@cli.command()
@click.option("--kind", help="Only figures of this kind, e.g. casualties.")
@click.option("--source", help="Only figures attributed to this source, e.g. JCS.")
@click.option("--story", "story_id", type=RowId("monitor stories"), help="Only this story's.")
@click.option("--since", type=Duration(), help="Only figures reported within this time.")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of figure objects.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV with a header row.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=200, show_default=True)
@click.pass_context
def figures(
    ctx: click.Context,
    kind: str | None,
    source: str | None,
    story_id: int | None,
    since: timedelta | None,
    as_json: bool,
    as_csv: bool,
    limit: int,
) -> None:
    """Every figure the hits reported, with its source, article and date, newest first.

    Example: monitor figures --kind casualties --source JCS --csv
    """
    config = config_of(ctx)
    store = open_store(config)
    try:
        filters = FigureFilter(kind, source, story_id, cutoff(utcnow(), since))
        rows = find_figures(store, filters, limit=limit)
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
    elif as_csv:
        click.echo(render.figures_csv(rows), nl=False)
    else:
        click.echo(render.figures_table(rows, config.timezone))
