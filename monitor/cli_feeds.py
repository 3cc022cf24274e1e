"""The feed-list commands: ``feeds add``, ``remove``, ``enable``, ``disable``, ``import``,
``export``. Registered on the ``feeds`` group of ``monitor.cli``.

They change the config file's ``[[feeds]]`` blocks through ``monitor.feedlist``, which
keeps the file's comments and layout, and move the list to and from other feed readers
as OPML (``monitor.opml``):

    feeds add URL   fetch | parse_feed | a page? discover.find_feeds, pick one, fetch, parse
                    | block (name from the title) | FeedFile.add | save
    feeds import F  read_opml | feedplan.plan_import | FeedFile.add each | save
    feeds export    the blocks as written + the titles polls stored | write_opml
"""

from __future__ import annotations

import asyncio
import logging
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import urlsplit

import click

from monitor.cli import config_of, feeds, open_store
from monitor.config import Config
from monitor.errors import MonitorError, ParseError, StoreError
from monitor.fetch import Fetcher
from monitor.parse import RawFeed, parse_feed
from monitor.pipeline import fetch_settings, utcnow
from monitor.records import FeedConfig, FeedState, FetchResult

if TYPE_CHECKING:
    from monitor.feedplan import Block

log = logging.getLogger(__name__)
# feedlist (tomlkit), feedplan and opml are imported by the commands that use them: every
# other command starts without them.


@feeds.command("add")
@click.argument("url")
@click.option("--name", help="The feed's name (default: from its title, made unique).")
@click.option(
    "--language",
    metavar="CODE",
    help="Language of its entries if the feed declares none: de, en, ko.",
)
@click.option(
    "--interval", metavar="DURATION", help="Poll interval, e.g. 10m (default: schedule.interval)."
)
@click.option("--outlet", help="Who publishes it (default: the publisher the feed's title names).")
@click.option(
    "--pick",
    type=click.IntRange(min=1),
    metavar="N",
    help="For a web page that lists several feeds: add the Nth, without asking.",
)
@click.pass_context
def feeds_add(
    ctx: click.Context,
    url: str,
    name: str | None,
    language: str | None,
    interval: str | None,
    outlet: str | None,
    pick: int | None,
) -> None:
    """Add a feed to the config file, after fetching it once to see that it is one.

    URL may be a web page: the feeds it declares are listed to choose from (--pick N
    chooses without asking). The new [[feeds]] block goes after the last one; the
    file keeps its comments and layout.

    Example: monitor feeds add https://www.tagesschau.de/ausland/index~rss2.xml
    """
    from monitor import feedlist, feedplan

    config = config_of(ctx)
    file = feedlist.FeedFile(config.path)
    block: Block = {"url": url}
    given = {"name": name, "language": language, "interval": interval, "outlet": outlet}
    block.update({key: value for key, value in given.items() if value is not None})
    _refuse_problems(block)
    configured = {str(b.get("url")): str(b.get("name")) for b in file.blocks()}
    taken = {str(b.get("name")) for b in file.blocks()}
    if name is not None and name in taken:
        raise click.BadParameter(
            f"a feed named {name!r} exists; choose another", param_hint="--name"
        )
    _refuse_configured(url, configured)

    fetched, raw = _fetch_feed(config, url)
    page: str | None = None
    if raw is None:  # a web page: add one of the feeds it declares
        page = url
        url = _choose(fetched, url, pick, configured)
        block["url"] = url
        _refuse_problems(block)
        _refuse_configured(url, configured)
        fetched, raw = _fetch_feed(config, url)
        if raw is None:
            raise MonitorError(f"{url} is a web page too, not a feed")
    if fetched.permanent_redirect:
        click.echo(f"{url} moved permanently to {fetched.permanent_redirect}; adding that")
        url = block["url"] = fetched.permanent_redirect
        _refuse_configured(url, configured)
    block["name"] = name or feedplan.name_for(raw.title, url, taken)
    title = feedplan.one_line(raw.title or "", 80)
    origin = f" from {page}" if page else ""
    file.add(block, f"Added with monitor feeds add{origin}: {title or url}")
    file.save()
    entries = f"{len(raw.entries)} entr{'y' if len(raw.entries) == 1 else 'ies'}"
    about = f"{title}, {entries}" if title else entries
    click.echo(
        f"added feed {block['name']} ({about}) to {config.path};"
        f" `monitor poll --feed {block['name']}` polls it now"
    )
    if "language" not in block and raw.language is None:
        click.echo(
            "note: the feed declares no language; set one with --language (de, en, ko)"
            " so the watches read its entries in the right language",
            err=True,
        )


def _refuse_problems(block: Block) -> None:
    """Every option the config would refuse, as one usage error, before any fetch."""
    from monitor import feedplan

    at = {key: f"--{key}" for key in block} | {"url": "URL"}
    found = feedplan.problems(block, at)
    if found:
        raise click.UsageError("\n".join(found.values()))


def _refuse_configured(url: str, configured: dict[str, str]) -> None:
    if url in configured:
        raise MonitorError(f"{url} is configured already, as feed {configured[url]}")


def _fetch_feed(config: Config, url: str) -> tuple[FetchResult, RawFeed | None]:
    """Fetch ``url`` once the way polls do; its feed, or None for a web page."""
    settings = replace(fetch_settings(config), concurrency=1)
    probe = FeedConfig("new", url, timedelta(minutes=15), urlsplit(url).hostname or "")

    async def once() -> FetchResult:
        async with Fetcher(settings) as fetcher:
            return await fetcher.fetch(probe, FeedState())

    fetched = asyncio.run(once())
    if fetched.status != "ok":
        raise MonitorError(
            f"cannot fetch {url}: {fetched.error}", hint="check the address in a browser"
        )
    try:
        return fetched, parse_feed(fetched.body, fetched.headers)
    except ParseError as exc:
        from monitor.sniff import is_html_page

        if is_html_page(fetched.body, fetched.headers):
            return fetched, None
        raise MonitorError(
            f"{url} is not a feed: {exc}",
            hint="give the address of an RSS, Atom or JSON feed, or of a page that links one",
        ) from None


def _choose(fetched: FetchResult, url: str, pick: int | None, configured: dict[str, str]) -> str:
    """The feed of a web page to add: the --pick'th, or the one the user names."""
    from monitor import feedplan
    from monitor.discover import find_feeds

    found = find_feeds(fetched.body, fetched.final_url or url)
    if not found:
        raise MonitorError(
            f"{url} is a web page that declares no feed",
            hint="look on the page for an RSS or Atom link, and add its address",
        )
    lines = [f"{url} is a web page; it declares {len(found)} feed(s):"]
    for number, feed in enumerate(found, start=1):
        title = feedplan.one_line(feed.title or "", 80) or "(no title)"
        kind = f" [{feed.type}]" if feed.type else ""
        known = f" (configured as {configured[feed.url]})" if feed.url in configured else ""
        lines.append(f"  {number}. {title}{kind} {feed.url}{known}")
    if pick is not None:
        if pick > len(found):
            raise click.BadParameter(
                f"the page declares {len(found)} feed(s); choose 1 to {len(found)}",
                param_hint="--pick",
            )
        return found[pick - 1].url
    if not interactive():
        raise MonitorError(
            "\n".join(lines), hint="there is no terminal to ask: choose one with --pick N"
        )
    click.echo("\n".join(lines))
    number = click.prompt(
        "Add which feed? number",
        type=click.IntRange(1, len(found)),
        default=1 if len(found) == 1 else None,
    )
    return found[int(number) - 1].url


def interactive() -> bool:
    """Whether a person can be asked: standard input is a terminal."""
    return sys.stdin.isatty()


@feeds.command("remove")
@click.argument("name")
@click.pass_context
def feeds_remove(ctx: click.Context, name: str) -> None:
    """Remove a feed's [[feeds]] block, and the comment right above it, from the config.

    Its entries and hits stay in the database.

    Example: monitor feeds remove spiegel-ausland
    """
    from monitor import feedlist

    config = config_of(ctx)
    file = feedlist.FeedFile(config.path)
    file.remove(name)
    file.save()
    click.echo(f"removed feed {name} from {config.path}; its entries and hits stay stored")


@feeds.command("enable")
@click.argument("name")
@click.pass_context
def feeds_enable(ctx: click.Context, name: str) -> None:
    """Poll a disabled feed again: sets enabled = true in its block.

    Example: monitor feeds enable spiegel-ausland
    """
    _set_enabled(ctx, name, True)


@feeds.command("disable")
@click.argument("name")
@click.pass_context
def feeds_disable(ctx: click.Context, name: str) -> None:
    """Stop polling a feed but keep it: sets enabled = false in its block.

    Example: monitor feeds disable spiegel-ausland
    """
    _set_enabled(ctx, name, False)


def _set_enabled(ctx: click.Context, name: str, enabled: bool) -> None:
    from monitor import feedlist

    config = config_of(ctx)
    file = feedlist.FeedFile(config.path)
    state = "enabled" if enabled else "disabled"
    if not file.set_enabled(name, enabled):
        click.echo(f"feed {name} is {state} already; {config.path} is unchanged")
        return
    file.save()
    click.echo(f"feed {name} is {state} in {config.path}")


@feeds.command("import")
@click.argument("file", type=click.File("rb"))
@click.pass_context
def feeds_import(ctx: click.Context, file: BinaryIO) -> None:
    """Add every feed of an OPML file (another reader's export) not configured yet.

    Names come from the titles, made unique; language and interval are kept where the
    file gives them. Feeds already configured (same URL) are skipped; the file is not
    fetched.

    Example: monitor feeds import miniflux-export.opml
    """
    from monitor import feedlist, feedplan, opml

    config = config_of(ctx)
    source = str(getattr(file, "name", "-"))
    outlines = opml.read_opml(file.read(opml.MAX_BYTES + 1), source)
    target = feedlist.FeedFile(config.path)
    plan = feedplan.plan_import(outlines, target.blocks(), source)
    for block, comment in plan.added:
        target.add(block, comment)
    if plan.added:
        target.save()
    for block, _comment in plan.added:
        click.echo(f"added {block['name']} {block['url']}")
    for url, why in plan.skipped:
        click.echo(f"skipped {url}: {why}", err=True)
    for note in plan.dropped:
        click.echo(f"note: {note}", err=True)
    where = f" to {config.path}" if plan.added else f"; {config.path} is unchanged"
    click.echo(
        f"imported {len(plan.added)} of {len(outlines)} feeds from {source}{where}:"
        f" {len(plan.skipped)} skipped"
    )


@feeds.command("export")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE."
)
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@click.pass_context
def feeds_export(ctx: click.Context, output: Path | None, force: bool) -> None:
    """Write every configured feed as OPML 2.0, for any other feed reader.

    Each outline has the feed's title (as its last poll found it, else its name) and
    xmlUrl, and language, interval, outlet and enabled where the block sets them.
    Without -o it goes to standard output.

    Example: monitor feeds export -o monitor-feeds.opml
    """
    from monitor import feedlist, opml

    config = config_of(ctx)
    blocks = feedlist.FeedFile(config.path).blocks()
    titles = _stored_titles(config)
    listed = [
        opml.OpmlFeed(
            url=str(block["url"]),
            title=titles.get(str(block["name"])) or str(block["name"]),
            language=_str(block.get("language")),
            interval=_str(block.get("interval")),
            outlet=_str(block.get("outlet")),
            enabled=block.get("enabled") if isinstance(block.get("enabled"), bool) else None,
        )
        for block in blocks
    ]
    data = opml.write_opml(listed, title=f"monitor feeds ({config.path.name})", now=utcnow())
    if output is None:
        click.echo(data, nl=False)
        return
    if output.exists() and not force:
        raise click.ClickException(f"{output} exists; pass --force to replace it")
    try:
        output.write_bytes(data)
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc}") from exc
    click.echo(f"exported {len(listed)} feeds to {output}", err=True)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _stored_titles(config: Config) -> dict[str, str]:
    """Feed name -> the title its last good poll found; nothing without a database."""
    if not config.database.exists():
        return {}
    try:
        store = open_store(config)
    except StoreError as exc:
        log.warning("export_titles error=%r (names stand in for titles)", str(exc))
        return {}
    try:
        rows = store.db.query("SELECT name, title FROM feeds WHERE title IS NOT NULL")
        return {str(row["name"]): str(row["title"]) for row in rows}
    finally:
        store.close()
