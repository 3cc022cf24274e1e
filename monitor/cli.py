"""The ``monitor`` command line. Every command's help ends with an example.

This module holds the group, the helpers the command modules share (``config_of``,
``open_store``, ``pick_watch``) and the commands that poll and measure: run, poll, feeds,
rescan, eval, serve. The hit commands (hits, show, mark, export) are in ``cli_hits``,
the service commands in ``cli_service``, the story commands in ``cli_stories``, the
subcommands of ``feeds`` that edit the feed list in ``cli_feeds``, the parameter types
they share in ``cli_params``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from monitor import __version__, render
from monitor.cli_help import ExampleGroup
from monitor.cli_params import Duration, cutoff
from monitor.config import DEFAULT_PATH, Config, load
from monitor.errors import MonitorError
from monitor.pipeline import Poller, summary, utcnow
from monitor.records import FeedConfig, FeedOutcome
from monitor.store import Store
from monitor.store.hits import RescanChange
from monitor.watch import WatchSpec

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar

    from monitor.match import Matcher

QUIET_LOGGERS = ("httpx", "httpcore", "apscheduler", "asyncio")


class MonitorGroup(ExampleGroup):
    """Turns a ``MonitorError`` into ``Error: message`` plus a hint, exit status 1. Its
    commands' help ends with their example (``cli_help``)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MonitorError as exc:
            message = str(exc)
            if exc.hint:
                message += f"\nHint: {exc.hint}"
            raise click.ClickException(message) from None


@click.group(cls=MonitorGroup)
@click.version_option(__version__, prog_name="monitor")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    envvar="MONITOR_CONFIG",
    default=DEFAULT_PATH,
    show_default=True,
    help="Configuration file (env MONITOR_CONFIG).",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors.")
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: one JSON object per line, for log collectors.",
)
@click.pass_context
def cli(ctx: click.Context, config_path: Path, verbose: int, quiet: bool, log_format: str) -> None:
    """Watch news feeds for one story and keep every hit in SQLite.

    Example: monitor --config config/monitor.toml poll
    """
    level = logging.WARNING if quiet else (logging.DEBUG if verbose > 1 else logging.INFO)
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(
            JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s", timestamp=True)
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose > 2 else logging.WARNING)
    ctx.obj = config_path


def config_of(ctx: click.Context) -> Config:
    return load(ctx.find_root().obj)


def open_store(config: Config) -> Store:
    from monitor.alert import plans
    from monitor.stories.keep import StoryKeeper

    return Store(config.database, alerts=plans(config), stories=StoryKeeper(config.watches))


@cli.command()
@click.pass_context
def run(ctx: click.Context) -> None:
    """Run the daemon: poll every enabled feed on its interval until stopped.

    SIGINT or SIGTERM stops it cleanly; polls in flight finish their writes. SIGHUP
    re-reads the configuration, and so does a change to the config or a watch file
    (schedule.reload). A config with problems is refused and the running one goes on.

    Example: monitor run
    """
    from monitor.schedule import run_daemon

    config = config_of(ctx)
    store = open_store(config)
    try:
        asyncio.run(run_daemon(config, store))
    finally:
        store.close()


@cli.command()
@click.option(
    "--feed",
    "feed_names",
    multiple=True,
    metavar="NAME",
    help="Only this feed, enabled or not (repeatable); exit 1 if one fails.",
)
@click.pass_context
def poll(ctx: click.Context, feed_names: tuple[str, ...]) -> None:
    """Poll every enabled feed once now, send due alerts, print a summary, exit.

    This is the command to run from cron instead of the daemon. The summary names the
    feeds that failed; the exit status is 1 when every feed failed (the network is
    down?), else 0. With --feed it polls only the feeds named, and says for each how it
    went: is this feed working?

    Example: monitor poll --feed tagesschau-ausland
    """
    from monitor.alert import deliver

    config = config_of(ctx)
    feeds = pick_feeds(config, feed_names) if feed_names else config.enabled_feeds
    store = open_store(config)
    started = time.monotonic()
    show_bar = sys.stderr.isatty()

    async def one_pass() -> list[FeedOutcome]:
        async with Poller(config, store) as poller:
            if not show_bar:
                return await poller.poll_all(feeds)
            with (
                click.progressbar(length=len(feeds), label="polling", file=sys.stderr) as bar,
                logs_above(bar),
            ):
                return await poller.poll_all(feeds, progress=lambda _o: bar.update(1))

    try:
        outcomes = asyncio.run(one_pass())
        if feed_names:
            order = {feed.name: i for i, feed in enumerate(feeds)}
            for outcome in sorted(outcomes, key=lambda o: order[o.feed]):
                click.echo(outcome_line(outcome))
        click.echo(summary(outcomes, time.monotonic() - started))
        click.echo(deliver(config, store, utcnow()).summary())
    finally:
        store.close()
    if feed_names and any(o.status == "error" for o in outcomes):
        raise click.exceptions.Exit(1)
    if outcomes and all(o.status == "error" for o in outcomes):
        answered = any(o.http_status is not None for o in outcomes)
        raise click.ClickException(
            "no feed could be polled; `monitor feeds` shows each one's error"
            if answered
            else "no feed could be polled, none answered; check the network (`monitor feeds`"
            " shows each one's error)"
        )


class LogAboveBar(logging.Handler):
    """Stands in for the log handlers while the progress bar holds the terminal's last
    line: each record clears that line, goes out through the handlers, and the bar is
    drawn again below it. No log line ever shares a line with the bar."""

    def __init__(self, handlers: list[logging.Handler], bar: ProgressBar[int]) -> None:
        super().__init__()
        self.handlers, self.bar = handlers, bar

    def emit(self, record: logging.LogRecord) -> None:
        self.bar.file.write("\r\033[K")  # to the start of the bar's line, erased
        self.bar.file.flush()
        for handler in self.handlers:
            if record.levelno >= handler.level:
                handler.handle(record)
        self.bar._last_line = None  # click draws a line only when it changed: draw it again
        self.bar.render_progress()


@contextmanager
def logs_above(bar: ProgressBar[int]) -> Iterator[None]:
    """While in the block, log records go out above ``bar``, never on its line."""
    root = logging.getLogger()
    handlers = root.handlers[:]
    root.handlers = [LogAboveBar(handlers, bar)]
    try:
        yield
    finally:
        root.handlers = handlers


def outcome_line(outcome: FeedOutcome) -> str:
    """How one feed's poll went, for ``poll --feed``: ``name: ok (HTTP 200), 3 new ...``."""
    if outcome.status == "error":
        return f"{outcome.feed}: failed: {outcome.error}"
    status = "ok" if outcome.status == "ok" else "not modified"
    http = f" (HTTP {outcome.http_status})" if outcome.http_status else ""
    warned = f"; {len(outcome.warnings)} warning(s), see the log" if outcome.warnings else ""
    return (
        f"{outcome.feed}: {status}{http}, {outcome.new_entries} new entries,"
        f" {outcome.new_hits} new hits{warned}"
    )


def pick_feeds(config: Config, names: tuple[str, ...]) -> list[FeedConfig]:
    """The configured feeds named, in the order given; one error line for unknown names."""
    by_name = {feed.name: feed for feed in config.feeds}
    unknown = [name for name in dict.fromkeys(names) if name not in by_name]
    if unknown:
        listed = ", ".join(by_name) or "none"
        which = ", ".join(repr(name) for name in unknown)
        raise click.ClickException(
            f"no feed named {which} in {config.path}; the feeds are: {listed}"
        )
    return [by_name[name] for name in dict.fromkeys(names)]


@cli.group(invoke_without_command=True)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="A JSON array, one object per feed, with its next planned poll and why.",
)
@click.pass_context
def feeds(ctx: click.Context, as_json: bool) -> None:
    """Each feed's health: last success, last error, failures in a row, entries, hits.

    The subcommands change the feed list in the config file (add, remove, enable,
    disable) and move it to and from other feed readers as OPML (import, export).

    Example: monitor feeds --json
    """
    if ctx.invoked_subcommand is not None:
        return
    config = config_of(ctx)
    store = open_store(config)
    store.sync_feeds(list(config.feeds))
    rows = store.feeds_health()
    plans = store.planned_polls()
    store.close()
    text = render.feeds_json(rows, plans) if as_json else render.feeds_table(rows, config.timezone)
    click.echo(text)


@cli.command()
@click.option(
    "--since", type=Duration(), help="Only entries first seen within this time, e.g. 30d."
)
@click.option("--watch", "watch_name", help="Only this watch (default: every watch).")
@click.option(
    "--dry-run",
    is_flag=True,
    help="List what would change, per watch (new hits, hits no longer matching or matching"
    " again); write nothing.",
)
@click.option(
    "--alert-old", is_flag=True, help="Alert new hits of entries older than alert.max_age too."
)
@click.pass_context
def rescan(
    ctx: click.Context,
    since: timedelta | None,
    watch_name: str | None,
    dry_run: bool,
    alert_old: bool,
) -> None:
    """Re-run watches over stored entries, after a watch file changed.

    New matches become hits; only those of entries published (or first seen) within
    alert.max_age queue alerts, unless --alert-old: widening a watch finds old news. A
    hit that no longer matches is kept and marked as no longer matching, never deleted,
    and its alerts not sent yet are dropped; a hit is never created twice for one entry.
    Near misses are judged again; a flagged miss stays a hit. --dry-run lists what would
    change first.

    Example: monitor rescan --dry-run --since 30d --watch nk-troops-russia
    """
    from monitor.match import Matcher

    config = config_of(ctx)
    watches = [pick_watch(config, watch_name)] if watch_name else list(config.watches)
    matcher = Matcher(watches)
    names = [w.name for w in watches]
    store = open_store(config)
    totals = {"entries": 0, "new": 0, "quiet": 0, "unmatched": 0, "rematched": 0, "near": 0}
    now = utcnow()
    alert_after = None if alert_old else now - config["alert.max_age"]
    if dry_run:
        try:
            click.echo(rescan_preview(store, matcher, names, cutoff(now, since), alert_after))
        finally:
            store.close()
        return
    try:
        for batch in store.stored_entries(cutoff(now, since)):
            judged = [(entry_id, *matcher.judge(entry)) for entry_id, entry in batch]
            results = [(entry_id, matches) for entry_id, matches, _near in judged]
            for key, value in store.apply_rescan(names, results, now, alert_after).items():
                totals[key] += value
            totals["near"] += store.replace_near(names, [(e, n) for e, _m, n in judged], now)
            totals["entries"] += len(batch)
        stories = sum(store.rebuild_stories(name, now) for name in names)
    finally:
        store.close()
    quiet = f" ({totals['quiet']} without an alert: older than alert.max_age)"
    click.echo(
        f"rescanned {totals['entries']} entries with {len(names)} watch(es): "
        f"{totals['new']} new hits{quiet if totals['quiet'] else ''}, "
        f"{totals['unmatched']} no longer matching, "
        f"{totals['rematched']} matching again, {totals['near']} near misses; {stories} stories"
    )


def rescan_preview(
    store: Store,
    matcher: Matcher,
    names: list[str],
    since: datetime | None,
    alert_after: datetime | None,
) -> str:
    """``rescan --dry-run``: what a rescan would change, per watch; reads, never writes."""
    changes: list[RescanChange] = []
    titles: dict[int, str] = {}
    entries = 0
    for batch in store.stored_entries(since):
        results = [(entry_id, matcher.judge(entry)[0]) for entry_id, entry in batch]
        found = [c for c in store.rescan_changes(names, results, alert_after) if c.change != "kept"]
        changed = {c.entry_id for c in found}
        titles.update(
            (i, " ".join((e.title or e.summary).split())) for i, e in batch if i in changed
        )
        changes += found
        entries += len(batch)
    lines = [f"dry run over {entries} entries with {len(names)} watch(es); nothing was written"]
    labels = {"new": "new hit", "unmatched": "no longer matching", "rematched": "matching again"}
    for name in names:
        mine = [c for c in changes if c.watch == name]
        count = {kind: sum(c.change == kind for c in mine) for kind in labels}
        lines.append(
            f"{name}: {count['new']} new hits, {count['unmatched']} no longer matching,"
            f" {count['rematched']} matching again"
        )
        for c in mine:
            what = f"entry {c.entry_id}" if c.hit_id is None else f"hit {c.hit_id}"
            note = ""
            if c.change == "new" and not c.alert:
                note = " (no alert: older than alert.max_age)"
            elif c.unsent:
                note = f" ({c.unsent} unsent alert{'s' if c.unsent != 1 else ''} to be dropped)"
            title = titles.get(c.entry_id, "")
            title = title if len(title) <= 70 else title[:69] + "…"
            lines.append(f"  {labels[c.change]:<18}  {what:<11}  {title}{note}")
    return "\n".join(lines)


@cli.command("eval")
@click.argument("file", type=click.File("rb"), required=False)
@click.option("--watch", "watch_name", help="The watch to measure (needed if there are several).")
@click.option("--json", "as_json", is_flag=True, help="End with one JSON object of the scores.")
@click.option(
    "--stories",
    is_flag=True,
    help="Measure stories and figures: FILE's entries carry story ids and figures.",
)
@click.option("--marks", is_flag=True, help="Measure on the reader's marks instead of a FILE.")
@click.pass_context
def eval_command(
    ctx: click.Context,
    file: Any,
    watch_name: str | None,
    as_json: bool,
    stories: bool,
    marks: bool,
) -> None:
    """Measure a watch on labeled items: precision, recall, F1, and every mistake.

    FILE is JSON Lines: one object a line with id, lang, title, summary and label
    (1 relevant, 0 not). Bad lines are reported with their number and skipped; a file
    with no valid item, or that is not UTF-8, is an error. With --stories each line has
    published, story (an id, or null) and figures instead of label, and the grouping
    and figures are measured. With --marks instead of FILE, the labels are the reader's
    own: hits marked relevant or irrelevant and flagged near misses (`monitor suggest`
    proposes changes from them); --json then prints only the JSON object.

    Example: monitor eval tests/data/nk_dev.jsonl --watch nk-troops-russia --json
    """
    if file is None and not marks:
        raise click.UsageError("give FILE, or --marks to measure on the reader's marks")
    if marks:  # cli_learn, which refuses a FILE or --stories beside --marks
        from monitor.cli_learn import eval_marks

        eval_marks(ctx, watch_name, as_json, file=file, stories=stories)
        return
    from monitor.evaluate import decode_lines, evaluate, read_items, skipped, text_report
    from monitor.match import Matcher

    config = config_of(ctx)
    watch = pick_watch(config, watch_name)
    problems: list[str] = []
    lines = decode_lines(file.read(), file.name)
    if stories:
        from monitor.stories import measure

        labeled = measure.read_labeled(lines, problems)
        if not labeled:
            raise click.ClickException(
                f"nothing to measure: {file.name} has no valid entry; each line needs id, lang,"
                " published, title, summary, story and figures"
            )
        result = measure.measure(labeled, watch, problems)
        click.echo(measure.text_report(result, watch.name))
        if problems:
            click.echo("\n".join(skipped(problems)), err=True)
        if as_json:
            click.echo(json.dumps(result.as_dict(), ensure_ascii=False))
        return
    items = read_items(lines, problems)
    report = evaluate(items, Matcher([watch]), watch.name, problems)
    if not report.items:  # scores of nothing would read as a perfect 1.000
        if problems:
            click.echo("\n".join(skipped(problems)), err=True)
        raise click.ClickException(
            f"nothing to measure: {file.name} has no valid item; each line needs an object"
            " with id, lang, title, summary and label"
        )
    click.echo(text_report(report))
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False))


def pick_watch(config: Config, name: str | None) -> WatchSpec:
    names = [w.name for w in config.watches]
    if name is None and len(names) == 1:
        return config.watches[0]
    for watch in config.watches:
        if watch.name == name:
            return watch
    wanted = "--watch NAME is needed" if name is None else f"no watch named {name!r}"
    raise click.ClickException(f"{wanted}; the watches are: {', '.join(names)}")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.pass_context
def serve(ctx: click.Context, host: str, port: int) -> None:
    """Serve the review page: triage, search, timeline, feeds.

    It listens on 127.0.0.1 only unless told otherwise. Set MONITOR_WEB_USER and
    MONITOR_WEB_PASSWORD to require a login.

    Example: monitor serve --port 8080
    """
    from monitor.web import serve as run_server

    def ready(url: str) -> None:  # once it really listens: a busy port prints no URL
        click.echo(f"review page on {url} (Ctrl-C stops it)", err=True)

    run_server(config_of(ctx), host, port, ready=ready)


def main() -> None:
    cli(prog_name="monitor")


# The hit commands (hits, show, mark, export), the service commands (check-config,
# outbox, test-email, health, db), the story commands (stories, story, figures) and the
# feed-list commands (feeds add, remove, enable, disable, import, export) live in modules
# of their own.
from monitor import cli_feeds, cli_hits, cli_learn, cli_misses, cli_service, cli_stories  # noqa: E402, F401
