"""The alert stage: take due alerts from the outbox and deliver them.

    outbox.due(immediate) -> hit no longer matching? outbox.drop
                          -> over email.max_per_hour? fold into digest
                          -> per message: outbox.claim -> message.immediate
                          -> mail session.send -> outbox.mark_*
    outbox.due(digest, created by the last digest_at slot) -> outbox.drop the unmatched
                          -> grouped by recipients
                          -> per message: outbox.claim -> message.digest
                          -> mail session.send -> outbox.mark_*
    outbox.due(immediate, push) -> outbox.drop the unmatched
                          -> grouped by channel -> notify.Channel (expand $NAME)
                          -> per alert: outbox.claim -> message.notification
                          -> channel.send -> outbox.mark_*

A 4xx answer or an unreachable server leaves an alert pending with a growing wait; a
5xx answer marks it failed with the server's words. An alert whose hit a rescan found no
longer matching is never sent: it is marked dropped. With ``web.base_url`` set, every
message links its hits and stories on the review page. ``monitor poll`` runs ``deliver``
after its pass; the daemon runs it every minute.

The one unavoidable window: the server has accepted a message but the process dies
before ``mark_sent`` commits. After a restart that alert is sent again, with the same
Message-ID, so the duplicate is recognisable (and many servers and clients drop it).

Push notifications go out after the email, channel by channel, so neither waits on
the other's failure. A channel that refuses one (Apprise's False) is done for the round:
its other due alerts wait too, without each spending ``notify.timeout``; after
``NOTIFY_TRIES`` tries an alert is failed, with the service's words. A channel that
cannot be used as configured (a ``$NAME`` not set) keeps its alerts pending and never
fails them: the config is at fault, not the alert. An alert whose URL is no longer
configured for its watch fails at once; nothing goes where the config no longer says.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from monitor import decide, message, notify, outbox
from monitor.config import Config
from monitor.errors import MailError, PermanentMailError, TransientMailError
from monitor.mail import MaildirTransport, SmtpSettings, SmtpTransport, Transport, password
from monitor.store import AlertPlan, Store
from monitor.watch import WatchSpec

log = logging.getLogger(__name__)

KINDS = {"immediate": ("immediate",), "digest": ("digest",), "both": ("immediate", "digest")}
NOTIFY_TRIES = 10  # a notification the service refused this often is marked failed


def plans(config: Config) -> dict[str, AlertPlan]:
    """Per watch: the alert kinds a new hit queues and the recipients, overrides applied."""
    result = {}
    for watch in config.watches:
        mode = watch.alert_mode or config["email.mode"]
        recipients = watch.alert_to if watch.alert_to is not None else config["email.to"]
        result[watch.name] = AlertPlan(
            KINDS.get(mode, ()),
            tuple(recipients),
            per=config["email.per"],
            channels=notify_urls(config, watch),
        )
    return result


def notify_urls(config: Config, watch: WatchSpec | None) -> tuple[str, ...]:
    """The notification URLs of a watch: its own ``notify``, else ``notify.urls``, except
    that a watch with ``alert_mode = "none"`` notifies only the URLs it names itself."""
    if watch is not None and watch.notify is not None:
        return tuple(dict.fromkeys(watch.notify))
    if watch is not None and watch.alert_mode == "none":
        return ()
    return tuple(dict.fromkeys(config["notify.urls"]))


def maildir_path(config: Config) -> Any:
    return config["email.maildir"] or config.database.parent / "maildir"


def transport(config: Config) -> Transport:
    """SMTP when ``email.smtp_host`` is set, else the Maildir."""
    if not config["email.smtp_host"]:
        return MaildirTransport(maildir_path(config))
    return SmtpTransport(
        SmtpSettings(
            host=config["email.smtp_host"],
            port=config["email.smtp_port"],
            security=config["email.security"],
            username=config["email.username"],
            password=password(),
            sender=config["email.from"],
            timeout=config.seconds("email.timeout"),
            ca_file=config["email.ca_file"],
        )
    )


@dataclass
class Delivery:
    """What one round did, for the log and the CLI."""

    sent: int = 0
    retry: int = 0
    failed: int = 0
    folded: int = 0
    dropped: int = 0  # alerts of hits that no longer match, never sent (email and push)
    notified: int = 0  # push notifications, counted apart from the email alerts
    notify_retry: int = 0
    notify_failed: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def undelivered(self) -> int:
        return self.retry + self.failed + self.notify_retry + self.notify_failed

    def summary(self) -> str:
        line = f"alerts: {self.sent} sent, {self.retry} to retry, {self.failed} failed"
        if self.folded:
            line += f", {self.folded} folded into the digest"
        if self.dropped:
            line += f", {self.dropped} dropped (their hits no longer match)"
        if self.notified or self.notify_retry or self.notify_failed:
            line += (
                f"; notifications: {self.notified} sent, {self.notify_retry} to retry,"
                f" {self.notify_failed} failed"
            )
        return line + (f" ({self.errors[-1]})" if self.errors else "")


def deliver(
    config: Config,
    store: Store,
    now: datetime,
    *,
    force: bool = False,
    via: Transport | None = None,
) -> Delivery:
    """Send every due alert. ``force`` ignores backoff (an operator fixed the server)."""
    report = Delivery()
    try:
        _deliver_email(config, store, now, force, via, report)
    finally:  # whatever became of the email, the notifications go
        _deliver_push(config, store, now, force, report)
    if (
        report.sent
        or report.retry
        or report.failed
        or report.dropped
        or report.notified
        or report.notify_retry
    ):
        log.info(
            "alerts sent=%d retry=%d failed=%d folded=%d dropped=%d notified=%d"
            " notify_retry=%d notify_failed=%d",
            report.sent,
            report.retry,
            report.failed,
            report.folded,
            report.dropped,
            report.notified,
            report.notify_retry,
            report.notify_failed,
        )
    return report


def _deliver_email(
    config: Config,
    store: Store,
    now: datetime,
    force: bool,
    via: Transport | None,
    report: Delivery,
) -> None:
    immediate = _still_matching(
        store, outbox.due(store, "immediate", now, force=force), now, force, report
    )
    room = max(0, config["email.max_per_hour"] - outbox.sent_since(store, now - timedelta(hours=1)))
    if len(immediate) > room:
        over = [row["alert_id"] for row in immediate[room:]]
        outbox.fold_into_digest(store, over)
        report.folded = len(over)
        immediate = immediate[:room]
    slot = decide.digest_slot(now, config["email.digest_at"], config.timezone)
    digests = outbox.due(store, "digest", now, created_by=slot, force=force) if slot else []
    digests = _still_matching(store, digests, now, force, report)
    batches = [[row] for row in immediate] + _by_recipients(digests)
    log.debug(
        "alert_round immediate=%d digest=%d folded=%d", len(immediate), len(digests), report.folded
    )
    if not batches:
        return
    descriptions = {w.name: w.description for w in config.watches}
    options = {
        "sender": config["email.from"],
        "prefix": config["email.subject_prefix"],
        "tz": config.timezone,
        "now": now,
        "base_url": config["web.base_url"],
    }
    via = via or transport(config)
    pending = list(batches)
    claimed: list[int] = []  # the batch being sent, claimed by this round
    try:
        with via.session() as session:
            while pending:
                batch = pending.pop(0)
                got = outbox.claim(store, [row["alert_id"] for row in batch], now, force=force)
                batch = [row for row in batch if row["alert_id"] in got]
                if not batch:
                    continue  # another round took them
                claimed = sorted(got)
                items = [outbox.item(store, row, descriptions) for row in batch]
                try:
                    msg: EmailMessage = (
                        message.digest(items, **options)
                        if batch[0]["kind"] == "digest"
                        else message.immediate(items[0], **options)
                    )
                except message.HeaderInjection as exc:
                    outbox.mark_failed(store, claimed, f"refused to send: {exc}")
                    report.failed += len(claimed)
                    log.error("alert_failed alerts=%s error=%r", claimed, str(exc))
                    continue
                _send_one(config, store, session, msg, items, now, report)
                claimed = []
    except TransientMailError as exc:  # the session itself failed: nothing more this round
        left = [row["alert_id"] for batch in pending for row in batch]
        retry = config["email.max_backoff"]
        if claimed:
            outbox.mark_retry(store, claimed, str(exc), now, retry)
        if left:
            outbox.mark_retry(store, left, str(exc), now, retry, claimed=False)
        left += claimed
        if left:
            report.retry += len(left)
        report.errors.append(str(exc))
        log.warning("alert_delivery status=retry alerts=%d error=%r", len(left), str(exc))


def _still_matching(
    store: Store, rows: list[dict[str, Any]], now: datetime, force: bool, report: Delivery
) -> list[dict[str, Any]]:
    """The due rows whose hit still matches; the others are dropped, never sent."""
    keep, stale = outbox.unmatched(rows)
    if stale and (dropped := outbox.drop(store, stale, now, force=force)):
        report.dropped += len(dropped)
        log.info("alert_dropped alerts=%s reason=no_longer_matching", dropped)
    return keep


def _send_one(
    config: Config,
    store: Store,
    session: Any,
    msg: EmailMessage,
    items: list[message.AlertItem],
    now: datetime,
    report: Delivery,
) -> None:
    ids = [i.alert_id for i in items]
    recipients = list(items[0].recipients)
    if not recipients and not isinstance(session, MaildirTransport):  # a Maildir needs none
        outbox.mark_failed(store, ids, "no recipients: set email.to or the watch's alert_to")
        report.failed += len(ids)
        return
    try:
        answer = session.send(msg, recipients)
    except PermanentMailError as exc:
        outbox.mark_failed(store, ids, str(exc))
        report.failed += len(ids)
        report.errors.append(str(exc))
        log.error("alert_failed alerts=%s error=%r", ids, str(exc))
        return
    except TransientMailError as exc:
        if exc.session:
            raise
        outbox.mark_retry(store, ids, str(exc), now, config["email.max_backoff"])
        report.retry += len(ids)
        report.errors.append(str(exc))
        return
    except MailError as exc:  # pragma: no cover - every MailError is one of the two above
        raise TransientMailError(str(exc), session=True) from exc
    outbox.mark_sent(store, ids, str(msg["Message-ID"]), answer, now)
    report.sent += len(ids)
    log.info("alert_sent alerts=%s message_id=%s answer=%r", ids, msg["Message-ID"], answer)


def _by_recipients(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Digest alerts grouped by their recipients: one digest message per group."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row["recipients"], []).append(row)
    return list(groups.values())


def _deliver_push(
    config: Config, store: Store, now: datetime, force: bool, report: Delivery
) -> None:
    """Due notifications, channel by channel; one channel's trouble stays its own."""
    rows = outbox.due(store, "immediate", now, force=force, push=True)
    rows = _still_matching(store, rows, now, force, report)
    log.debug("notify_round due=%d", len(rows))
    watches = {w.name: w for w in config.watches}
    descriptions = {w.name: w.description for w in config.watches}
    by_channel: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_channel.setdefault(row["channel"], []).append(row)
    for url, group in by_channel.items():
        wanted = [r for r in group if url in notify_urls(config, watches.get(r["watch"]))]
        kept = {r["alert_id"] for r in wanted}
        stale = [r["alert_id"] for r in group if r["alert_id"] not in kept]
        if stale and (ids := sorted(outbox.claim(store, stale, now, force=force))):
            error = f"notify URL {notify.label(url)} is no longer configured for this watch"
            outbox.mark_failed(store, ids, error)
            report.notify_failed += len(ids)
            report.errors.append(error)
            log.warning("notify_failed alerts=%s error=%r", ids, error)
        if wanted:
            _push_channel(config, store, url, wanted, descriptions, now, force, report)


def _push_channel(
    config: Config,
    store: Store,
    url: str,
    rows: list[dict[str, Any]],
    descriptions: dict[str, str],
    now: datetime,
    force: bool,
    report: Delivery,
) -> None:
    wait = config["notify.max_backoff"]
    try:
        channel = notify.Channel(url, timeout=config.seconds("notify.timeout"))
    except notify.NotifyError as exc:  # the config must change: the alerts wait, never fail
        ids = sorted(outbox.claim(store, [r["alert_id"] for r in rows], now, force=force))
        outbox.mark_retry(store, ids, str(exc), now, wait)
        report.notify_retry += len(ids)
        report.errors.append(str(exc))
        log.warning("notify_channel status=unusable alerts=%d error=%r", len(ids), str(exc))
        return
    for index, row in enumerate(rows):
        if not outbox.claim(store, [row["alert_id"]], now, force=force):
            continue  # another round took it
        item = outbox.item(store, row, descriptions)
        note = message.notification(item, config["web.base_url"])
        answer = channel.send(note.title, note.body)
        if answer.ok:
            outbox.mark_sent(store, [row["alert_id"]], None, answer.text, now)
            report.notified += 1
            log.info("notify_sent alert=%d channel=%s", row["alert_id"], channel.label)
            continue
        # Refused: the rest of this channel's alerts wait with it, so a service that is
        # down costs one time-out per round, not one per alert.
        rest = [r["alert_id"] for r in rows[index + 1 :]]
        ids = [row["alert_id"], *sorted(outbox.claim(store, rest, now, force=force))]
        failed = outbox.mark_retry(store, ids, answer.text, now, wait, give_up_after=NOTIFY_TRIES)
        report.notify_retry += len(ids) - len(failed)
        report.notify_failed += len(failed)
        report.errors.append(f"{channel.label}: {answer.text}")
        log.warning(
            "notify_delivery status=retry channel=%s alerts=%d failed=%s error=%r",
            channel.label,
            len(ids),
            failed,
            answer.text,
        )
        return
