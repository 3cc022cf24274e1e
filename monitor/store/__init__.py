"""SQLite storage: with `schema`, the only modules that import sqlite_utils.

Tables (created and changed only by ``schema.MIGRATIONS``):

    feeds       one row per configured feed, with its fetch state and health
    entries     every entry ever seen, unique per (outlet, key) and per (outlet, url)
    hits        one row per (watch, entry), never two; triage status and note
    near_misses entries a watch almost took, for the reader to flag
    fetch_log   one row per poll of a feed

``Store`` is one class, its queries split by domain into mixins, as lemon24/reader
splits its storage:

    base        the connection, migrations, ``write()``, state, backup; ``iso``
    entries     feeds and entries: ``sync_feeds``, ``record_poll``, ``stored_entries``
    hits        new hits with their alerts (``AlertPlan``), rescans, ``HIT_SELECT``
    stories     ``rebuild_stories``
    misses      near misses (kept, listed, flagged into hits) and the reader's labels
"""

from __future__ import annotations

from monitor.errors import StoreError
from monitor.store.base import COUNT_LIMIT, WRITE_FAILURE, StoreBase, from_iso, iso, write_error
from monitor.store.entries import (
    SAME_TEXT_WINDOW,
    UNSTABLE_AFTER,
    EntriesMixin,
    Recorded,
    fingerprint,
)
from monitor.store.hits import HIT_SELECT, AlertPlan, HitsMixin, hit_row
from monitor.store.misses import MissesMixin, near_row
from monitor.store.stories import StoriesMixin

__all__ = [
    "COUNT_LIMIT",
    "HIT_SELECT",
    "SAME_TEXT_WINDOW",
    "UNSTABLE_AFTER",
    "WRITE_FAILURE",
    "AlertPlan",
    "Recorded",
    "Store",
    "StoreBase",
    "StoreError",
    "fingerprint",
    "from_iso",
    "hit_row",
    "iso",
    "near_row",
    "write_error",
]


class Store(EntriesMixin, MissesMixin, HitsMixin, StoriesMixin):
    """One connection to the database, migrated on open, with the queries of every domain."""
