"""The alerts table as a queue: what is due, and what became of each try.

Rows are written by ``store`` in the same transaction as their hit (kind ``immediate``
or ``digest``); ``alert.deliver`` takes them from here. States:

    pending --claimed by a round--> sending --accepted--> sent
                                       |  \\--4xx, server down--> pending (attempts + 1,
                                       |                          next_attempt_at later)
                                       |   \\--5xx--> failed --`outbox retry ID`--> pending
                                       \\--over email.max_per_hour--> folded into the digest
                                          (or pending again, as a digest alert)
    sending, its round died --lease over--> claimed again (the one window for a duplicate)
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from monitor import decide
from monitor.message import AlertItem
from monitor.review import story
from monitor.store import Store, from_iso, iso

LEASE = timedelta(minutes=10)  # how long a claimed alert is left to the round that took it
ALERT_SELECT = """
SELECT alerts.id AS alert_id, alerts.kind, alerts.state, alerts.recipients, alerts.attempts,
       alerts.last_error, alerts.next_attempt_at, alerts.created_at, alerts.sent_at,
       alerts.message_id, hits.id AS hit_id, hits.watch, hits.matched, entries.title,
       entries.summary, entries.url, entries.published, entries.key AS entry_key,
       entries.outlet, feeds.name AS feed
FROM alerts
JOIN hits ON hits.id = alerts.hit_id
JOIN entries ON entries.id = hits.entry_id
JOIN feeds ON feeds.id = entries.feed_id
"""


def due(
    store: Store,
    kind: str,
    now: datetime,
    *,
    created_by: datetime | None = None,
    force: bool = False,
) -> list[dict[str, Any]]:
    """Claim the alerts of ``kind`` that are due, and return them.

    Due: pending and past their backoff (all pending ones with ``force``), or claimed by
    a round that died (its lease ran out). Claiming marks them ``sending`` with a lease
    of ``LEASE``, in one IMMEDIATE transaction, so a daemon and a `monitor poll` running
    at the same moment never send the same alert twice.
    """
    pending = "alerts.state = 'pending'"
    if not force:
        pending += " AND (alerts.next_attempt_at IS NULL OR alerts.next_attempt_at <= :now)"
    sql = (
        ALERT_SELECT
        + f" WHERE alerts.kind = :kind AND (({pending})"
        + " OR (alerts.state = 'sending' AND alerts.next_attempt_at <= :now))"
    )
    params: dict[str, Any] = {"kind": kind, "now": iso(now)}
    if created_by is not None:
        sql += " AND alerts.created_at <= :created_by"
        params["created_by"] = iso(created_by)
    with store.write() as db:
        rows = list(db.query(sql + " ORDER BY alerts.id", params))
        db.conn.executemany(
            "UPDATE alerts SET state = 'sending', next_attempt_at = ? WHERE id = ?",
            [(iso(now + LEASE), row["alert_id"]) for row in rows],
        )
    return rows


def sent_since(store: Store, since: datetime) -> int:
    row = store.conn.execute(
        "SELECT count(*) FROM alerts WHERE kind = 'immediate' AND state = 'sent' AND sent_at >= ?",
        [iso(since)],
    ).fetchone()
    return int(row[0])


def fold_into_digest(store: Store, alert_ids: list[int]) -> None:
    """Immediate alerts over the hourly limit wait for the next digest instead."""
    with store.write() as db:
        for alert_id in alert_ids:
            hit_id = db.execute("SELECT hit_id FROM alerts WHERE id = ?", [alert_id]).fetchone()[0]
            has_digest = db.execute(
                "SELECT 1 FROM alerts WHERE hit_id = ? AND kind = 'digest'", [hit_id]
            ).fetchone()
            if has_digest:
                db.execute("UPDATE alerts SET state = 'folded' WHERE id = ?", [alert_id])
            else:
                db.execute(
                    "UPDATE alerts SET kind = 'digest', state = 'pending',"
                    " next_attempt_at = NULL WHERE id = ?",
                    [alert_id],
                )


def mark_sent(
    store: Store, alert_ids: list[int], message_id: str, answer: str, now: datetime
) -> None:
    with store.write() as db:
        db.conn.executemany(
            "UPDATE alerts SET state = 'sent', sent_at = ?, message_id = ?, last_error = ?,"
            " attempts = attempts + 1 WHERE id = ?",
            [(iso(now), message_id, _note(answer), i) for i in alert_ids],
        )


def _note(answer: str) -> str | None:
    """Keep partial refusals ("…; refused: x: 550 …") as the alert's note."""
    return answer.split("; refused: ", 1)[1] if "; refused: " in answer else None


def mark_retry(
    store: Store, alert_ids: list[int], error: str, now: datetime, max_backoff: timedelta
) -> None:
    """A temporary failure: try again later, each time waiting twice as long."""
    with store.write() as db:
        for alert_id in alert_ids:
            attempts = (
                db.execute("SELECT attempts FROM alerts WHERE id = ?", [alert_id]).fetchone()[0] + 1
            )
            wait = decide.backoff(attempts, timedelta(minutes=1), max_backoff)
            db.execute(
                "UPDATE alerts SET state = 'pending', attempts = ?, last_error = ?,"
                " next_attempt_at = ? WHERE id = ?",
                [attempts, error, iso(now + wait), alert_id],
            )


def mark_failed(store: Store, alert_ids: list[int], error: str) -> None:
    with store.write() as db:
        db.conn.executemany(
            "UPDATE alerts SET state = 'failed', attempts = attempts + 1, last_error = ?"
            " WHERE id = ?",
            [(error, i) for i in alert_ids],
        )


def retry(store: Store, alert_id: int) -> bool:
    """Put a failed alert back in the queue, due at once. False if there is none."""
    with store.write() as db:
        cursor = db.execute(
            "UPDATE alerts SET state = 'pending', next_attempt_at = NULL"
            " WHERE id = ? AND state = 'failed'",
            [alert_id],
        )
    return bool(cursor.rowcount)


def listing(store: Store, state: str | None = None) -> list[dict[str, Any]]:
    sql = ALERT_SELECT + (" WHERE alerts.state = ?" if state else "")
    rows = list(store.db.query(sql + " ORDER BY alerts.id DESC", [state] if state else []))
    for row in rows:
        row["recipients"] = json.loads(row["recipients"])
        row["matched"] = json.loads(row["matched"] or "[]")
    return rows


def item(store: Store, row: dict[str, Any], descriptions: dict[str, str]) -> AlertItem:
    """An alert row with everything its message needs, other outlets' versions included."""
    created = from_iso(row["created_at"])
    related, thread_key = story(store, row, created)
    return AlertItem(
        alert_id=row["alert_id"],
        hit_id=row["hit_id"],
        watch=row["watch"],
        description=descriptions.get(row["watch"], ""),
        title=row["title"],
        summary=row["summary"],
        url=row["url"],
        feed=row["feed"],
        outlet=row["outlet"],
        published=from_iso(row["published"]),
        entry_key=row["entry_key"],
        matched=tuple(json.loads(row["matched"] or "[]")),
        recipients=tuple(json.loads(row["recipients"])),
        related=tuple(related),
        thread_key=thread_key,
        created_at=created,
    )
