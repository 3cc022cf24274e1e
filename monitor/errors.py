"""One root for every error the user can act on.

    MonitorError                 anything monitor reports as a one-line message
    ├── ConfigError              the config or a watch file is wrong (lists every problem)
    ├── StoreError               the database cannot be opened or is from a newer version
    ├── MailError                an alert could not be delivered
    │   ├── TransientMailError   server down, time-out, 4xx: the alert stays queued
    │   └── PermanentMailError   5xx: the alert is marked failed, with the answer
    └── FeedError                one feed failed; recorded on the feed, never fatal to a pass
        ├── FetchError           network, HTTP status, deadline, size cap, redirects
        └── ParseError           the parser raised, ran out of time or of memory

Third-party exceptions are wrapped once, where they happen (``raise FetchError(...) from
exc``); the CLI turns a ``MonitorError`` into ``Error: <message>`` and exit status 1.
"""

from __future__ import annotations


class MonitorError(Exception):
    """Base of every error monitor reports to a person."""

    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint


class ConfigError(MonitorError):
    """Configuration problems, all of them at once: one ``file: key: expected`` per line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        count = len(problems)
        head = (
            "1 problem in the configuration"
            if count == 1
            else f"{count} problems in the configuration"
        )
        super().__init__(
            head + ":\n" + "\n".join(f"  {p}" for p in problems),
            hint="fix the listed keys, then run `monitor check-config`",
        )


class StoreError(MonitorError):
    """The SQLite database cannot be used."""


class FeedError(MonitorError):
    """One feed failed; the pass goes on and the failure is recorded on the feed."""


class FetchError(FeedError):
    """Fetching failed: connection, HTTP status, deadline, size cap or redirects."""

    def __init__(
        self, message: str, *, status: int | None = None, retry_after_header: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after_header = retry_after_header


class ParseError(FeedError):
    """The feed could not be parsed: the parser raised, timed out or ran out of memory."""


class MailError(MonitorError):
    """An alert could not be handed to the mail server."""


class TransientMailError(MailError):
    """Try again later: server down, refused connection, time-out, a 4xx answer.

    ``session`` is true when the whole connection is unusable (nothing else can be sent
    in this round), false when only this message was refused for now.
    """

    def __init__(self, message: str, *, session: bool = False) -> None:
        super().__init__(message)
        self.session = session


class PermanentMailError(MailError):
    """The server refused for good (a 5xx answer): the alert is marked failed."""
