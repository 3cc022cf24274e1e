"""The alerts table as a queue: what is due, and what became of each try.

Rows are written by ``store`` in the same transaction as their hit (kind ``immediate``
or ``digest``), one per channel: ``email``, or a push notification URL as configured
(immediate only); ``alert.deliver`` takes them from here. States:

    pending --claimed just before its message is sent--> sending --accepted--> sent
                                       |  \\--4xx, server down--> pending (attempts + 1,
                                       |                          next_attempt_at later)
                                       |   \\--5xx--> failed --`outbox retry ID`--> pending
                                       \\--over email.max_per_hour--> folded into the digest
                                          (or pending again, as a digest alert)
    sending, its round died --lease over--> claimed again (the one window for a duplicate)
    pending, its hit no longer matches (a rescan) --next round--> dropped, never sent

A hit that a rescan marked ``still_matches = 0`` is never claimed; the next round marks
its unsent alerts ``dropped``, with the reason as their last error. (A rescan that
restores the match in time lets them go out as usual.)

A notification goes the same way, with Apprise's False for the 4xx (pending, or failed
after ``alert.NOTIFY_TRIES`` tries), and is never folded: the hourly limit is email's.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from monitor import decide
from monitor.export import figure_text
from monitor.message import AlertItem
from monitor.review import story
from monitor.store import Store, from_iso, iso
from monitor.store.hits import EMAIL

LEASE = timedelta(minutes=10)  # how long a claimed alert is left to the round that took it
ALERT_SELECT = """
SELECT alerts.id AS alert_id, alerts.kind, alerts.channel, alerts.state, alerts.recipients,
       alerts.attempts, alerts.last_error, alerts.next_attempt_at, alerts.created_at,
       alerts.sent_at, alerts.message_id, alerts.story_id, alerts.reason, hits.id AS hit_id,
       hits.watch, hits.matched, hits.still_matches, entries.title,
       entries.summary, entries.url, entries.published, entries.key AS entry_key,
       entries.outlet, entries.language, feeds.name AS feed
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
    push: bool = False,
) -> list[dict[str, Any]]:
    """The email alerts of ``kind`` that are due (``push``: the notifications), oldest
    first; read, not claimed.

    Due: pending and past their backoff (all pending ones with ``force``), or claimed by
    a round that died (its lease ran out). A round claims each message's alerts with
    ``claim`` just before it sends that message, so a round killed half-way leaves only
    the message it was sending claimed, and everything else is due for the next round.
    """
    channel = "alerts.channel != :email" if push else "alerts.channel = :email"
    sql = ALERT_SELECT + f" WHERE alerts.kind = :kind AND {channel} AND {_claimable(force)}"
    params: dict[str, Any] = {"kind": kind, "now": iso(now), "email": EMAIL}
    if created_by is not None:
        sql += " AND alerts.created_at <= :created_by"
        params["created_by"] = iso(created_by)
    return list(store.db.query(sql + " ORDER BY alerts.id", params))


def _claimable(force: bool) -> str:
    pending = "alerts.state = 'pending'"
    if not force:
        pending += " AND (alerts.next_attempt_at IS NULL OR alerts.next_attempt_at <= :now)"
    return f"(({pending}) OR (alerts.state = 'sending' AND alerts.next_attempt_at <= :now))"


_STILL_MATCHES = "(SELECT still_matches FROM hits WHERE hits.id = alerts.hit_id) = 1"
DROPPED = "not sent: its hit no longer matches the watch (a rescan after the watch changed)"


def unmatched(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[int]]:
    """Due rows split: those whose hit still matches, and the ids of the others."""
    keep = [row for row in rows if row["still_matches"]]
    return keep, [row["alert_id"] for row in rows if not row["still_matches"]]


def drop(store: Store, alert_ids: list[int], now: datetime, *, force: bool = False) -> list[int]:
    """Mark unsent alerts whose hit no longer matches ``dropped``, in one transaction:
    only those still claimable (never one another round is sending) and still without a
    match; returns the ones dropped."""
    if not alert_ids:
        return []
    with store.write() as db:
        rows = db.execute(
            "UPDATE alerts SET state = 'dropped', last_error = :why, next_attempt_at = NULL"
            f" WHERE id IN (SELECT value FROM json_each(:ids)) AND {_claimable(force)}"
            f" AND NOT {_STILL_MATCHES} RETURNING id",
            {"why": DROPPED, "now": iso(now), "ids": json.dumps(alert_ids)},
        ).fetchall()
    return sorted(int(row[0]) for row in rows)


def claim(store: Store, alert_ids: list[int], now: datetime, *, force: bool = False) -> set[int]:
    """Mark these alerts ``sending`` with a lease of ``LEASE``, in one IMMEDIATE
    transaction, and return the ones this round got: an alert another round claimed (a
    daemon and a `monitor poll` delivering at once) or sent meanwhile is left out, and so
    is one whose hit a rescan has just found no longer matching (``drop`` takes it)."""
    if not alert_ids:
        return set()
    with store.write() as db:
        rows = db.execute(
            "UPDATE alerts SET state = 'sending', next_attempt_at = :lease"
            f" WHERE id IN (SELECT value FROM json_each(:ids)) AND {_claimable(force)}"
            f" AND {_STILL_MATCHES} RETURNING id",
            {"lease": iso(now + LEASE), "now": iso(now), "ids": json.dumps(alert_ids)},
        ).fetchall()
    return {int(row[0]) for row in rows}


def sent_since(store: Store, since: datetime) -> int:
    row = store.conn.execute(
        "SELECT count(*) FROM alerts WHERE kind = 'immediate' AND channel = ? AND state = 'sent'"
        " AND sent_at >= ?",
        [EMAIL, iso(since)],
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
    store: Store, alert_ids: list[int], message_id: str | None, answer: str, now: datetime
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
    store: Store,
    alert_ids: list[int],
    error: str,
    now: datetime,
    max_backoff: timedelta,
    *,
    claimed: bool = True,
    give_up_after: int | None = None,
) -> list[int]:
    """A temporary failure: try again later, each time waiting twice as long.

    ``claimed`` false: alerts this round never claimed (the server went down before their
    turn); only those still pending are touched, never one another round holds.
    ``give_up_after``: an alert that has had that many tries is marked failed instead;
    those are returned."""
    state = "sending" if claimed else "pending"
    given_up: list[int] = []
    with store.write() as db:
        for alert_id in alert_ids:
            row = db.execute(
                "SELECT attempts FROM alerts WHERE id = ? AND state = ?", [alert_id, state]
            ).fetchone()
            if row is None:
                continue
            attempts = row[0] + 1
            wait = decide.backoff(attempts, timedelta(minutes=1), max_backoff)
            last = give_up_after is not None and attempts >= give_up_after
            if last:
                given_up.append(alert_id)
            db.execute(
                "UPDATE alerts SET state = ?, attempts = ?, last_error = ?,"
                " next_attempt_at = ? WHERE id = ?",
                ["failed" if last else "pending", attempts, error, iso(now + wait), alert_id],
            )
    return given_up


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
        **story_facts(store, row.get("story_id")),
        reason=row.get("reason") or "article",
        language=row.get("language"),
    )


def story_facts(store: Store, story_id: int | None) -> dict[str, Any]:
    """What an alert says of its story: figures with sources, languages, outlets."""
    if not story_id:
        return {}
    found = store.conn.execute(
        "SELECT languages, outlets, title FROM stories WHERE id = ?", [story_id]
    ).fetchone()
    if found is None:
        return {}
    figures = store.db.query(
        "SELECT kind, value, low, high, qualifier, source FROM figures WHERE story_id = ?"
        " ORDER BY reported_at, id",
        [story_id],
    )
    return {
        "story_id": story_id,
        "figures": tuple(dict.fromkeys(figure_text(f) for f in figures)),
        "languages": tuple(json.loads(found[0] or "[]")),
        "outlets": tuple(json.loads(found[1] or "[]")),
        "story_title": found[2],
    }
