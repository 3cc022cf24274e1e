"""The click parameter types and helpers the command modules share: ``Duration`` for
``--since``, ``cutoff`` for what it lets in, ``RowId`` for the id of a hit, alert or story,
``limit_option`` for the size of a listing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

import click

from monitor.settings import parse_duration

MAX_ID = 2**63 - 1  # SQLite's largest INTEGER: no row can have a larger id
F = TypeVar("F", bound=Callable[..., Any])


class Duration(click.ParamType):  # type: ignore[type-arg]
    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, timedelta):
            return value
        try:
            return parse_duration(str(value))
        except (ValueError, OverflowError):  # OverflowError: longer than timedelta holds
            self.fail(
                f"{value!r} is not a duration such as 90m, 7d or 12h (at most 999999999d)",
                param,
                ctx,
            )


def cutoff(now: datetime, since: timedelta | None) -> datetime | None:
    """The earliest time ``--since`` lets in; None lets everything in.

    A duration that reaches back before the year 1 cannot be a datetime, but what it
    asks for is clear: everything ever stored.
    """
    if since is None:
        return None
    try:
        return now - since
    except OverflowError:
        return None


class RowId(click.ParamType):  # type: ignore[type-arg]
    """A hit's or an alert's id: a whole number that SQLite can store, else a usage error."""

    name = "id"

    def __init__(self, listed_by: str) -> None:
        self.listed_by = listed_by  # the command that lists them, for the message

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, int):
            return value
        text = str(value).strip(" \t\n")
        # ASCII digits only (int() would take "1_0" and Arabic-Indic digits too); the
        # length check comes first, as int() refuses more than 4300 digits by raising.
        if text.isascii() and text.isdigit() and len(text) <= 19 and 1 <= int(text) <= MAX_ID:
            return int(text)
        self.fail(
            f"{value!r} is not an id: ids are whole numbers from 1 to {MAX_ID};"
            f" `{self.listed_by}` lists them",
            param,
            ctx,
        )


def limit_option(default: int = 50) -> Callable[[F], F]:
    """``--limit N`` of a listing: at least 1; more than SQLite can count is clamped."""
    return click.option(
        "--limit",
        type=click.IntRange(min=1, max=MAX_ID, clamp=True),
        default=default,
        show_default=True,
    )
