"""Push notifications (issue 12), end to end: Apprise's ``json://``, ``jsons://`` and
``ntfy://`` forms against a real webhook receiver on 127.0.0.1 that can be down (500)
and back (200); ``$NAME`` expansion as properties; the watch key; the migration."""

from __future__ import annotations

import json
import sqlite3
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import trustme
from hypothesis import assume, given
from hypothesis import strategies as st
from sqlite_utils import Database

from monitor.message import AlertItem, notification
from monitor.notify import Channel, NotifyError, expand, label, url_problem, variables
from monitor.schema import MIGRATIONS
from monitor.store import Store
from monitor.watch import watch_from_dict
from tests.conftest import WATCHES, FeedServer, write_config
from tests.test_alerts import ARTICLE, HITS, config_for, outbox, run
from tests.test_stories import COVERAGE

DOWN = {"code": 50001, "http": 500, "error": "the receiver is down"}  # as ntfy answers


@dataclass(frozen=True)
class Post:
    path: str
    body: dict[str, Any]
    status: int  # what the receiver answered


class _Server(ThreadingHTTPServer):
    daemon_threads = True


class Receiver:
    """A webhook receiver: every POST is kept with the status it was answered with,
    ``status`` (set it to 500 and the service is down)."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.status = 200
        self.posts: list[Post] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                status = receiver.status
                receiver.posts.append(Post(self.path, body, status))
                answer = json.dumps({} if status == 200 else DOWN).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, scheme: str, path: str) -> str:
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def delivered(self, path: str | None = None) -> list[Post]:
        return [p for p in self.posts if p.status == 200 and path in (None, p.path)]

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(autouse=True)
def _no_proxy(no_proxy: None) -> None:
    """Every test here: no proxy between Apprise and 127.0.0.1 (``conftest.no_proxy``)."""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as server:
        yield server


@pytest.fixture
def other() -> Iterator[Receiver]:
    with Receiver() as server:
        yield server


@pytest.fixture
def tls_receiver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    """HTTPS with a certificate of a test CA that requests trusts (REQUESTS_CA_BUNDLE)."""
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    with Receiver(tls=context) as server:
        yield server


def with_notify(config: Path, *urls: str) -> Path:
    listed = ", ".join(json.dumps(u) for u in urls)
    config.write_text(
        config.read_text() + f'\n[notify]\nurls = [{listed}]\ntimeout = "5s"\n', encoding="utf-8"
    )
    return config


def channels(config: Path) -> list[tuple[str, str, str]]:
    """(kind, channel, state) of every alert, as the database holds them."""
    with sqlite3.connect(config.parent / "monitor.db") as db:
        return db.execute("SELECT kind, channel, state FROM alerts ORDER BY id").fetchall()


def test_every_hit_notifies_each_channel_once_beside_the_email(
    tmp_path: Path, feed_server: FeedServer, receiver: Receiver
) -> None:
    hook, other_hook = receiver.url("json", "/hook"), receiver.url("json", "/other")
    config = with_notify(config_for(tmp_path, feed_server, ""), hook, other_hook)
    out = run(config, "poll")
    assert f"alerts: {HITS} sent, 0 to retry, 0 failed" in out
    assert f"notifications: {2 * HITS} sent, 0 to retry, 0 failed" in out
    for path in ("/hook", "/other"):
        posts = receiver.delivered(path)
        assert len(posts) == HITS and len({p.body["title"] for p in posts}) == HITS
    link = "https://en.yna.co.kr/view/AEN20250227001200315"
    seed = next(p.body for p in receiver.delivered("/hook") if link in p.body["message"])
    assert "3,000 more troops" in seed["title"] and "\n" not in seed["title"]
    assert "<" not in seed["message"]  # plain text: no HTML part, no markup
    rows = outbox(config)
    assert sorted({r["channel"] for r in rows}) == ["email", label(hook)]
    assert label(hook) == f"json://127.0.0.1:{receiver.port}/…"  # the path can be a secret
    table = run(config, "outbox")
    assert f"push json://127.0.0.1:{receiver.port}/…" in table
    assert "notifications" not in run(config, "poll")  # nothing twice
    assert len(receiver.posts) == 2 * HITS


def test_a_channel_down_then_back_delivers_each_alert_exactly_once(
    tmp_path: Path, feed_server: FeedServer, receiver: Receiver, other: Receiver
) -> None:
    receiver.status = 500
    down, up = receiver.url("json", "/hook"), other.url("json", "/hook")
    config = with_notify(config_for(tmp_path, feed_server, ""), down, up)
    out = run(config, "poll")
    # The failing channel holds up neither the email nor the other channel.
    assert f"alerts: {HITS} sent" in out
    assert f"notifications: {HITS} sent, {HITS} to retry, 0 failed" in out
    assert len(other.delivered()) == HITS
    # The refusal ends that channel's round: one try, not one time-out per alert.
    assert len(receiver.posts) == 1
    waiting = [r for r in outbox(config) if r["channel"] == label(down) and r["state"] != "sent"]
    assert len(waiting) == HITS
    assert {r["state"] for r in waiting} == {"pending"} and {r["attempts"] for r in waiting} == {1}
    assert "Internal server error., error=500" in str(waiting[0]["last_error"])
    receiver.status = 200
    assert f"notifications: {HITS} sent, 0 to retry" in run(config, "outbox", "send")
    assert "notifications" not in run(config, "outbox", "send")
    titles = [p.body["title"] for p in receiver.delivered()]
    assert len(titles) == HITS == len(set(titles))
    assert len(other.delivered()) == HITS
    assert {state for _, _, state in channels(config)} == {"sent"}


def test_a_refused_notification_fails_after_ten_tries_with_the_services_words(
    tmp_path: Path, feed_server: FeedServer, receiver: Receiver
) -> None:
    receiver.status = 500
    topic = receiver.url("ntfy", "/alerts")
    config = with_notify(config_for(tmp_path, feed_server, ""), topic)
    run(config, "poll")
    for _ in range(8):
        assert f"{HITS} to retry" in run(config, "outbox", "send", code=1)
    assert f"0 to retry, {HITS} failed" in run(config, "outbox", "send", code=1)
    assert len(receiver.posts) == 10  # one try per round
    failed = [r for r in outbox(config) if r["state"] == "failed"]
    assert len(failed) == HITS and {r["attempts"] for r in failed} == {10}
    assert "the receiver is down, error=50001" in str(failed[0]["last_error"])
    assert f"push ntfy://127.0.0.1:{receiver.port}/…" in run(config, "outbox", "--state", "failed")
    assert "notifications" not in run(config, "outbox", "send")  # failed ones stay failed
    receiver.status = 200
    run(config, "outbox", "retry", str(failed[0]["id"]))
    assert "notifications: 1 sent" in run(config, "outbox", "send")
    [post] = receiver.delivered()
    assert post.path == "/" and post.body["topic"] == "alerts"


def test_a_missing_variable_keeps_the_alerts_pending_and_no_secret_is_stored(
    tmp_path: Path, feed_server: FeedServer, receiver: Receiver
) -> None:
    config = with_notify(config_for(tmp_path, feed_server, ""), receiver.url("json", "/$HOOK"))
    out = run(config, "poll", env={"HOOK": ""})
    assert f"notifications: 0 sent, {HITS} to retry, 0 failed" in out
    assert "$HOOK is not set in the environment" in out and receiver.posts == []
    waiting = [r for r in outbox(config) if r["channel"] != "email"]
    assert {r["state"] for r in waiting} == {"pending"}
    assert all("\n" not in str(r["last_error"]) for r in waiting)
    out = run(config, "outbox", "send", env={"HOOK": "s3cret-hook-id"})
    assert f"notifications: {HITS} sent" in out
    assert len(receiver.delivered("/s3cret-hook-id")) == HITS
    with sqlite3.connect(config.parent / "monitor.db") as db:
        dump = "\n".join(db.iterdump())
    assert "s3cret-hook-id" not in dump and "/$HOOK" in dump


def test_only_news_notifies_and_the_digest_stays_email(
    tmp_path: Path, feed_server: FeedServer, receiver: Receiver
) -> None:
    feed_server.files.update(COVERAGE)
    feeds = {name.removesuffix(".xml"): feed_server.url(f"/feeds/{name}") for name in COVERAGE}
    config = write_config(tmp_path, feeds)
    config.write_text(config.read_text() + '\n[email]\nmode = "both"\n')
    with_notify(config, receiver.url("json", "/hook"))
    run(config, "poll")
    rows = channels(config)
    emailed = [kind for kind, channel, _ in rows if channel == "email"]
    pushed = [kind for kind, channel, _ in rows if channel != "email"]
    assert pushed == ["immediate"] * emailed.count("immediate")
    assert len(pushed) < emailed.count("digest")  # the story's other articles: digest only
    titles = [p.body["title"] for p in receiver.delivered()]
    assert len(titles) == len(pushed)
    jcs = next(p.body["message"] for p in receiver.delivered() if "(JCS)" in p.body["message"])
    assert "Figures: additional 3,000 (JCS)" in jcs and "So far " in jcs


@pytest.mark.parametrize(
    ("watch_keys", "expected"),
    [
        ("", ["/global"]),
        ('notify = ["{own}"]', ["/own"]),
        ("notify = []", []),
        ('alert_mode = "none"', []),
        ('alert_mode = "none"\nnotify = ["{own}"]', ["/own"]),
    ],
)
def test_a_watch_names_its_own_channels(
    tmp_path: Path,
    feed_server: FeedServer,
    receiver: Receiver,
    watch_keys: str,
    expected: list[str],
) -> None:
    watches = tmp_path / "watches"
    watches.mkdir()
    text = (WATCHES / "nk-troops-russia.toml").read_text(encoding="utf-8")
    own = watch_keys.format(own=receiver.url("json", "/own"))
    (watches / "nk-troops-russia.toml").write_text(own + "\n" + text, encoding="utf-8")
    feeds = {"yonhap-en": feed_server.url("/feeds/yonhap_en.xml")}
    config = write_config(tmp_path, feeds, watches=watches)
    config.write_text(config.read_text() + "\n[email]\n" + ARTICLE)
    with_notify(config, receiver.url("json", "/global"))
    run(config, "poll")
    assert sorted({p.path for p in receiver.posts}) == expected
    pushed = [channel for _, channel, _ in channels(config) if channel != "email"]
    with sqlite3.connect(config.parent / "monitor.db") as db:
        hits = db.execute("SELECT count(*) FROM hits").fetchone()[0]
    assert len(receiver.delivered()) == len(pushed) == (hits if expected else 0) > -1


def test_test_notify_answers_for_each_channel(
    tmp_path: Path,
    feed_server: FeedServer,
    receiver: Receiver,
    tls_receiver: Receiver,
) -> None:
    receiver.status = 500
    ntfy, hook = receiver.url("ntfy", "/alerts"), tls_receiver.url("jsons", "/hook")
    config = with_notify(config_for(tmp_path, feed_server, ""), hook, ntfy)
    out = run(config, "test-notify", code=1)
    assert out.count("\n") == 2
    assert f"jsons://127.0.0.1:{tls_receiver.port}/… (notify.urls): ok" in out
    assert f"ntfy://127.0.0.1:{receiver.port}/… (notify.urls): Failed to send ntfy" in out
    assert "the receiver is down" in out
    [post] = tls_receiver.delivered()
    assert post.body["title"] == "monitor test notification"
    receiver.status = 200
    assert run(config, "test-notify").count(": ok\n") == 2
    assert receiver.delivered()[0].body["topic"] == "alerts"
    missing = run(config, "test-notify", "--url", receiver.url("json", "/$NOPE"), code=1)
    shown = f"json://127.0.0.1:{receiver.port}/…"
    assert missing == f"{shown} (--url): $NOPE is not set in the environment\n"
    assert "expected an Apprise URL" in run(config, "test-notify", "--url", "ntfy", code=1)
    bare = config_for(tmp_path, feed_server, "")
    assert "no notification URLs" in run(bare, "test-notify", code=1)


def test_test_notify_lists_a_watchs_own_channel(
    tmp_path: Path, feed_server: FeedServer, receiver: Receiver
) -> None:
    watches = tmp_path / "watches"
    watches.mkdir()
    text = (WATCHES / "nk-troops-russia.toml").read_text(encoding="utf-8")
    own = f'notify = ["{receiver.url("json", "/own")}"]\n'
    (watches / "nk-troops-russia.toml").write_text(own + text, encoding="utf-8")
    config = write_config(tmp_path, {"x": feed_server.url("/feeds/x.xml")}, watches=watches)
    out = run(config, "test-notify")
    assert out == f"json://127.0.0.1:{receiver.port}/… (watch nk-troops-russia): ok\n"
    assert [p.path for p in receiver.delivered()] == ["/own"]


ITEM = AlertItem(
    alert_id=1,
    hit_id=1,
    watch="nk-troops-russia",
    description="",
    title="N. Korea sends 3,000 more troops\r\nBcc: x@example.org <b>now</b>",
    summary="",
    url="https://en.yna.co.kr/view/1",
    feed="yonhap-en",
    outlet="en.yna.co.kr",
    published=datetime(2025, 2, 27, tzinfo=UTC),
    entry_key="k",
    matched=("troops",),
    recipients=(),
    reason="new figure",
    figures=("additional 3,000 (JCS)", "casualties about 4,000 (JCS)"),
    outlets=("en.yna.co.kr", "yna.co.kr", "tagesschau.de"),
)


def test_the_notification_is_a_short_plain_message(receiver: Receiver) -> None:
    note = notification(ITEM)
    # One line, the feed's text as it is: a notification is plain text, not HTML.
    assert note.title == (
        "new figure: N. Korea sends 3,000 more troops Bcc: x@example.org <b>now</b>"
    )
    assert note.body.splitlines() == [
        "en.yna.co.kr · nk-troops-russia",
        "Figures: additional 3,000 (JCS); casualties about 4,000 (JCS)",
        "So far 3 outlets: en.yna.co.kr, yna.co.kr, tagesschau.de",
        "https://en.yna.co.kr/view/1",
    ]
    hostile = notification(replace(ITEM, url="javascript:alert(1)", reason="new story"))
    assert "javascript" not in hostile.body and not hostile.title.startswith("new figure")
    answer = Channel(receiver.url("ntfy", "/alerts"), timeout=5).send(note.title, note.body)
    assert answer.ok and answer.text == "ok"
    [post] = receiver.delivered()
    assert post.body["title"] == note.title and post.body["message"] == note.body


def test_a_refusal_names_the_variable_not_its_value(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    receiver.status = 500
    monkeypatch.setenv("NTFY_TOPIC", "very-secret-topic")
    answer = Channel(receiver.url("ntfy", "/$NTFY_TOPIC"), timeout=5).send("t", "b")
    assert not answer.ok and "$NTFY_TOPIC" in answer.text
    assert "very-secret-topic" not in answer.text
    assert receiver.posts[0].body["topic"] == "very-secret-topic"
    with pytest.raises(NotifyError, match="Apprise cannot use it"):
        Channel("nosuchservice://host.example", timeout=5)


# -- $NAME expansion -----------------------------------------------------------------------

NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)
LITERAL = st.text(st.characters(blacklist_characters="$", codec="utf-8"), max_size=8)
VALUES = st.text(st.characters(codec="utf-8"), min_size=1, max_size=12)


@st.composite
def templates(draw: st.DrawFn) -> tuple[str, dict[str, str], str]:
    """A URL template, its environment, and what it must expand to."""
    env = draw(st.dictionaries(NAMES, VALUES, min_size=1, max_size=4))
    part = st.one_of(
        st.tuples(st.just("text"), LITERAL),
        st.tuples(st.just("name"), st.sampled_from(sorted(env))),
        st.tuples(st.just("dollar"), st.just("$")),
    )
    parts = draw(st.lists(part, max_size=8))
    text, expected = "", ""
    for index, (kind, value) in enumerate(parts):
        after = parts[index + 1][1][:1] if index + 1 < len(parts) else ""
        if kind == "dollar":
            text, expected = text + "$$", expected + "$"
        elif kind == "name":
            # Unbraced, a name runs on into the letters after it: "$HOSTx" is $HOSTx.
            glued = after.isascii() and (after.isalnum() or after == "_")
            text += f"${{{value}}}" if glued or draw(st.booleans()) else f"${value}"
            expected += env[value]
        else:
            text, expected = text + value, expected + value
    return text, env, expected


@given(templates())
def test_expansion_replaces_each_reference_once(case: tuple[str, dict[str, str], str]) -> None:
    text, env, expected = case
    assert expand(text, env) == expected  # a value holding "$X" is not expanded again


@given(LITERAL)
def test_text_without_a_dollar_is_left_alone(text: str) -> None:
    assert expand(text, {}) == text and variables(text) == []


@given(templates(), NAMES)
def test_a_missing_variable_is_one_line_naming_it(
    case: tuple[str, dict[str, str], str], name: str
) -> None:
    text, env, _ = case
    env.pop(name, None)
    with pytest.raises(NotifyError) as raised:
        expand(f"ntfy://host.example/{text}${{{name}}}", env)
    assert f"${name}" in str(raised.value) and "\n" not in str(raised.value)


@given(
    st.sampled_from(["ntfys", "json", "tgram", "mailto"]),
    st.from_regex(r"[A-Za-z0-9_-]{6,20}", fullmatch=True),
    st.sampled_from(["ntfy.sh", "127.0.0.1:8080", "[::1]:80", "localhost", ""]),
)
def test_a_label_never_shows_a_token(scheme: str, token: str, host: str) -> None:
    assume(token not in host and token not in "localhost")
    for url in (f"{scheme}://{token}/{token}", f"{scheme}://user:{token}@{host}/{token}"):
        shown = label(url)
        assert token not in shown and shown.startswith(f"{scheme}://"), url
        assert url_problem(url) is None


# -- configuration and storage -------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("ntfys://ntfy.sh/x", "notify: expected a list of Apprise URLs"),
        (["ntfy.sh/topic"], "notify[0]: expected an Apprise URL such as"),
        (["json://host.example/a b"], "notify[0]: a notification URL has no spaces"),
        (["json://host.example/${TOKEN"], "notify[0]: '${' without a name"),
        ([7], "notify[0]: expected an Apprise URL"),
    ],
)
def test_a_watch_refuses_what_is_not_a_notification_url(value: object, problem: str) -> None:
    data = {"groups": [{"terms": ["troops"]}], "notify": value}
    watch, problems = watch_from_dict("w", data, where="w.toml")
    assert watch is None and any(problem in p for p in problems), problems


def test_a_watch_keeps_its_urls_as_written() -> None:
    urls = ["ntfys://ntfy.sh/$NTFY_TOPIC", "json://${HOST}:8080/hook"]
    data = {"groups": [{"terms": ["troops"]}], "notify": urls}
    watch, problems = watch_from_dict("w", data, where="w.toml")
    assert problems == [] and watch is not None and watch.notify == tuple(urls)
    empty, _ = watch_from_dict("w", {"groups": [{"terms": ["x"]}], "notify": []}, where="w")
    assert empty is not None and empty.notify == ()


def test_an_older_database_keeps_its_alerts_as_email(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = Database(path)
    MIGRATIONS.apply(db, stop_before="m008_notifications")
    db.execute("INSERT INTO feeds (id, name, url, outlet) VALUES (1, 'f', 'http://x/', 'x')")
    db.execute(
        "INSERT INTO entries (id, feed_id, outlet, key, title, summary, first_seen_at)"
        " VALUES (1, 1, 'x', 'k', 't', 's', '2025-01-01')"
    )
    db.execute("INSERT INTO hits (id, watch, entry_id, created_at) VALUES (1, 'w', 1, 'now')")
    db.execute(
        "INSERT INTO alerts (hit_id, kind, recipients, created_at)"
        " VALUES (1, 'immediate', '[]', 'now')"
    )
    db.conn.commit()
    db.close()
    store = Store(path)
    try:
        conn = store.conn
        assert conn.execute("SELECT channel FROM alerts").fetchall() == [("email",)]
        for channel in ("ntfys://ntfy.sh/$T", "ntfys://ntfy.sh/$T", "email"):
            conn.execute(
                "INSERT OR IGNORE INTO alerts (hit_id, kind, channel, recipients, created_at)"
                " VALUES (1, 'immediate', ?, '[]', 'now')",
                [channel],
            )
        assert conn.execute("SELECT count(*) FROM alerts").fetchone()[0] == 2
    finally:
        store.close()


def test_check_config_refuses_a_notify_url_that_is_no_url(tmp_path: Path) -> None:
    from monitor.config import load
    from monitor.errors import ConfigError
    from tests.conftest import write_config

    config = write_config(tmp_path, {}, extra='[notify]\nurls = ["ntfy://ok/topic", "not a url"]\n')
    with pytest.raises(ConfigError) as caught:
        load(config)
    assert "notify.urls[1]: expected an Apprise URL" in str(caught.value)
    assert "notify.urls[0]" not in str(caught.value)
