"""decide as a truth table: when a feed is polled again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.decide import backoff, is_due, next_attempt, retry_after_seconds
from monitor.records import FeedState

NOW = datetime(2025, 2, 27, 12, 0, tzinfo=UTC)
M = timedelta(minutes=1)


@pytest.mark.parametrize(
    ("failures", "wait"),
    [
        (0, 15 * M),
        (1, 15 * M),
        (2, 30 * M),
        (3, 60 * M),
        (4, 120 * M),
        (6, 360 * M),
        (7, 360 * M),
        (10_000, 360 * M),
    ],
)
def test_backoff_doubles_up_to_the_cap_and_never_gives_up(failures: int, wait: timedelta) -> None:
    assert backoff(failures, 15 * M, 360 * M) == wait


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        ("Thu, 27 Feb 2025 12:10:00 GMT", 600.0),
        ("Thu, 27 Feb 2025 11:00:00 GMT", 0.0),  # in the past
        ("soon", None),
        (None, None),
    ],
)
def test_retry_after(header: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(header, NOW) == seconds


def test_retry_after_lengthens_but_never_shortens_the_wait() -> None:
    assert next_attempt(1, 15 * M, 360 * M, NOW, "7200") == NOW + 120 * M
    assert next_attempt(1, 15 * M, 360 * M, NOW, "5") == NOW + 15 * M
    assert next_attempt(1, 15 * M, 360 * M, NOW, "999999") == NOW + 360 * M


@pytest.mark.parametrize(
    ("next_at", "due"),
    [(None, True), (NOW - M, True), (NOW, True), (NOW + M, False)],
    ids=["never-polled", "past", "now", "future"],
)
def test_is_due(next_at: datetime | None, due: bool) -> None:
    assert is_due(FeedState(next_attempt_at=next_at), NOW) is due
