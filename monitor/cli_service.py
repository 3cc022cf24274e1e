"""Commands for running monitor as a service: check-config, the alert outbox, test-email,
test-notify, health, db.

They register on the ``cli`` group of ``monitor.cli``, which imports this module.
"""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from monitor import render
from monitor.cli import cli, config_of, open_store
from monitor.cli_params import RowId
from monitor.config import Config
from monitor.errors import ConfigError, StoreError
from monitor.pipeline import utcnow
from monitor.store.hits import EMAIL


@cli.command("check-config")
@click.pass_context
def check_config(ctx: click.Context) -> None:
    """Validate the config and every watch file; list every problem at once.

    Example: monitor --config config/monitor.toml check-config
    """
    config = config_of(ctx)
    problems = folder_problems(config)
    if problems:
        raise ConfigError(problems)
    enabled = len(config.enabled_feeds)
    click.echo(
        f"{config.path}: ok: {len(config.feeds)} feeds ({enabled} enabled), "
        f"{len(config.watches)} watches ({', '.join(w.name for w in config.watches)}), "
        f"database {config.database}"
    )


def folder_problems(config: Config) -> list[str]:
    """The folders monitor writes into that it could not: the database's, the Maildir's.

    Each must exist or be creatable, and be writable (SQLite writes its -wal and -shm
    files beside the database). Nothing is created: this only looks.
    """
    from monitor.alert import maildir_path

    problems: list[str] = []
    database = config.database
    if database.is_dir():
        problems.append(f"{config.path}: database: {database} is a folder, not a database file")
    elif problem := folder_problem(database.parent):
        problems.append(f"{config.path}: database: {problem}")
    elif database.exists() and not os.access(database, os.W_OK):
        problems.append(f"{config.path}: database: cannot write {database}: permission denied")
    # Alerts go to the Maildir only without SMTP. The default one sits beside the
    # database, whose folder's problem is then already reported.
    uses_maildir = not config["email.smtp_host"] and (config["email.maildir"] or not problems)
    if uses_maildir and (problem := folder_problem(Path(maildir_path(config)))):
        problems.append(f"{config.path}: email.maildir: {problem}")
    return problems


def folder_problem(folder: Path) -> str | None:
    """Why ``folder`` cannot be written into (nor created), or None when it can."""
    existing = folder
    # lexists: a dangling symlink is in the way too; a folder that may not be searched
    # reads as absent, and its parent then as not writable.
    while not os.path.lexists(existing):
        existing = existing.parent
    if not existing.is_dir():
        return f"cannot create the folder {folder}: {existing} is not a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        if existing == folder:
            return f"cannot write into the folder {folder}: permission denied"
        return f"cannot create the folder {folder}: {existing} is not writable"
    return None


@cli.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="A JSON array, one object per alert.")
@click.option(
    "--state",
    type=click.Choice(["pending", "sending", "sent", "failed", "folded", "dropped"]),
    help="Only these.",
)
@click.pass_context
def outbox(ctx: click.Context, as_json: bool, state: str | None) -> None:
    """Alerts: pending, sent and failed, with attempts and the last error.

    Example: monitor outbox --state failed
    """
    if ctx.invoked_subcommand is not None:
        return
    from monitor import outbox as queue

    config = config_of(ctx)
    store = open_store(config)
    rows = queue.listing(store, state)
    store.close()
    click.echo(
        _outbox_json(rows) if as_json else render.outbox_table(_by_channel(rows), config.timezone)
    )


def _by_channel(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The table's kind column names a notification's channel: "push ntfys://ntfy.sh/…"."""
    from monitor.notify import label

    return [
        row if row["channel"] == EMAIL else {**row, "kind": f"push {label(row['channel'])}"}
        for row in rows
    ]


def _outbox_json(rows: list[dict[str, Any]]) -> str:
    """``render.outbox_json`` with each alert's ``channel``: "email", or the notification
    URL as the outbox shows it (scheme and server, never a token)."""
    from monitor.notify import label

    objects = json.loads(render.outbox_json(rows))
    for obj, row in zip(objects, rows, strict=True):
        obj["channel"] = EMAIL if row["channel"] == EMAIL else label(row["channel"])
    return json.dumps(objects, ensure_ascii=False, indent=2)


@outbox.command("send")
@click.pass_context
def outbox_send(ctx: click.Context) -> None:
    """Deliver every pending alert now, ignoring the wait after failures.

    Example: monitor outbox send
    """
    from monitor.alert import deliver

    config = config_of(ctx)
    store = open_store(config)
    try:
        report = deliver(config, store, utcnow(), force=True)
    finally:
        store.close()
    click.echo(report.summary())
    if report.undelivered:
        raise click.exceptions.Exit(1)


@outbox.command("retry")
@click.argument("alert_id", type=RowId("monitor outbox --state failed"))
@click.pass_context
def outbox_retry(ctx: click.Context, alert_id: int) -> None:
    """Queue a failed alert again; it goes out with the next delivery.

    Example: monitor outbox retry 7
    """
    from monitor import outbox as queue

    config = config_of(ctx)
    store = open_store(config)
    try:
        if not queue.retry(store, alert_id):
            raise click.ClickException(
                f"no failed alert with id {alert_id}; `monitor outbox --state failed` lists them"
            )
    finally:
        store.close()
    click.echo(f"alert {alert_id} is pending again; `monitor outbox send` delivers it now")


@cli.command("test-email")
@click.pass_context
def test_email(ctx: click.Context) -> None:
    """Send one test message the way alerts go, and show what the server said.

    Example: monitor test-email
    """
    from monitor.alert import transport
    from monitor.message import test_message

    config = config_of(ctx)
    via = transport(config)
    recipients = tuple(config["email.to"])
    if config["email.smtp_host"] and not recipients:
        raise click.ClickException("email.to is empty: name at least one recipient")
    msg = test_message(
        sender=config["email.from"],
        recipients=recipients,
        prefix=config["email.subject_prefix"],
        now=utcnow(),
    )
    with via.session() as session:
        answer = session.send(msg, list(recipients))
    click.echo(f"{via.describe}: {answer}")


TEST_TITLE = "monitor test notification"
TEST_BODY = "This is a test notification from monitor. If you can read it, alerts will reach you."


@cli.command("test-notify")
@click.option(
    "--url",
    "urls",
    multiple=True,
    metavar="URL",
    help="Test this Apprise URL instead of the configured ones (repeatable).",
)
@click.pass_context
def test_notify(ctx: click.Context, urls: tuple[str, ...]) -> None:
    """Send one test notification through each configured channel (notify.urls and every
    watch's notify) and print each one's answer: ok, or the error. Exit 1 if any failed.

    Example: monitor test-notify --url 'ntfys://ntfy.sh/$NTFY_TOPIC'
    """
    from monitor.alert import notify_urls
    from monitor.notify import Answer, Channel, NotifyError, label, url_problem

    config = config_of(ctx)
    users: dict[str, list[str]] = {url: ["--url"] for url in urls}
    if not urls:
        for url in notify_urls(config, None):
            users.setdefault(url, []).append("notify.urls")
        for watch in config.watches:
            for url in watch.notify or ():
                users.setdefault(url, []).append(f"watch {watch.name}")
    if not users:
        raise click.ClickException(
            "no notification URLs: set notify.urls, or notify in a watch file"
        )
    failed = 0
    for url, where in users.items():
        try:
            if problem := url_problem(url):
                raise NotifyError(url, problem)
            channel = Channel(url, timeout=config.seconds("notify.timeout"))
            answer = channel.send(TEST_TITLE, TEST_BODY)
        except NotifyError as exc:
            answer = Answer(False, exc.reason)
        failed += not answer.ok
        click.echo(f"{label(url)} ({', '.join(where)}): {answer.text}")
    if failed:
        raise click.exceptions.Exit(1)


@cli.command()
@click.pass_context
def health(ctx: click.Context) -> None:
    """Exit 0 when the daemon's heartbeat is recent and the database writable.

    Otherwise exit 1 with one line saying why. For HEALTHCHECK and monitoring.

    Example: monitor health
    """
    from monitor import decide

    config = config_of(ctx)
    store = open_store(config)
    now = utcnow()
    try:
        failing = store.write_failure()
        store.set_state("health_checked_at", now.isoformat(timespec="seconds"))
        beat = store.get_state("heartbeat_at")
    except (sqlite3.Error, StoreError) as exc:
        raise click.ClickException(f"unhealthy: the database is not writable: {exc}") from exc
    finally:
        store.close()
    if failing:
        raise click.ClickException(
            f"unhealthy: the daemon cannot write to the database since {failing['at']}:"
            f" {failing['error']}"
        )
    reason = decide.health(
        datetime.fromisoformat(beat) if beat else None, now, config["health.max_age"]
    )
    if reason:
        raise click.ClickException(f"unhealthy: {reason}")
    click.echo(f"ok: heartbeat {beat}, database writable")


@cli.group()
def db() -> None:
    """The database: backups.

    Example: monitor db backup /backups/monitor-$(date +%F).db
    """


@db.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def db_backup(ctx: click.Context, path: Path) -> None:
    """Copy the database to PATH while the daemon runs (SQLite's online backup).

    The copy is consistent. To restore: stop the daemon, copy the file back over the
    database, start the daemon.

    Example: monitor db backup /backups/monitor.db
    """
    config = config_of(ctx)
    if path.exists():
        raise click.ClickException(f"{path} exists; choose a new file name")
    store = open_store(config)
    try:
        pages = store.backup(path)
    finally:
        store.close()
    click.echo(f"backed up {config.database} to {path} ({pages} pages)")
