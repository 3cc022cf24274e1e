"""Alert emails end to end, against a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import json
import mailbox
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from monitor.alert import deliver
from monitor.cli import cli, open_store
from monitor.config import load
from monitor.pipeline import utcnow
from tests.conftest import FIXTURE_FEEDS, FeedServer, wait_for, write_config
from tests.smtp_server import SmtpServer

HITS = 9  # the fixture feeds hold nine articles about the topic
# These tests are about the outbox, one alert per hit; tests/test_story_alerts.py has
# the default, one immediate alert per story.
ARTICLE = 'per = "article"\n'


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


def config_for(tmp_path: Path, feed_server: FeedServer, email: str) -> Path:
    feeds = {n: feed_server.url(f"/feeds/{f}") for n, (f, _) in FIXTURE_FEEDS.items()}
    path = write_config(tmp_path, feeds)
    path.write_text(path.read_text() + "\n[email]\n" + ARTICLE + email, encoding="utf-8")
    return path


def smtp_email(server: SmtpServer, extra: str = "") -> str:
    return (
        f'smtp_host = "{server.host}"\nsmtp_port = {server.port}\nsecurity = "none"\n'
        f'from = "Monitor <alerts@example.org>"\nto = ["reader@example.org"]\n{extra}'
    )


def run(config: Path, *args: str, code: int = 0, env: dict[str, str] | None = None) -> str:
    result = CliRunner().invoke(cli, ["--config", str(config), "-q", *args], env=env)
    assert result.exit_code == code, result.output
    return result.output


def fetches(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM fetch_log").fetchone()[0])


def outbox(config: Path) -> list[dict[str, object]]:
    return json.loads(run(config, "outbox", "--json"))


def test_without_smtp_alerts_land_in_a_maildir(tmp_path: Path, feed_server: FeedServer) -> None:
    config = config_for(tmp_path, feed_server, 'to = ["reader@example.org"]\n')
    out = run(config, "poll")
    assert f"alerts: {HITS} sent, 0 to retry, 0 failed" in out
    box = mailbox.Maildir(tmp_path / "maildir", create=False)
    subjects = sorted(str(m["Subject"]) for m in box)
    assert len(subjects) == HITS and all(
        s.startswith("[monitor] nk-troops-russia: ") for s in subjects
    )
    assert {a["state"] for a in outbox(config)} == {"sent"}
    assert "alerts: 0 sent" in run(config, "poll")  # nothing twice


def test_an_immediate_alert_arrives_with_headers_and_both_parts(
    tmp_path: Path, feed_server: FeedServer, smtp: SmtpServer
) -> None:
    config = config_for(tmp_path, feed_server, smtp_email(smtp))
    run(config, "poll")
    received = smtp.wait_for(HITS)
    assert len(received) == HITS
    seed = next(r for r in received if "3,000 more troops" in str(r.message["Subject"]))
    msg = seed.message
    assert seed.rcpt_tos == ["reader@example.org"]
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["List-Id"].endswith("<nk-troops-russia.monitor.example.org>")
    assert msg["Message-ID"].startswith("<hit.") and msg["Date"]
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "Link:       https://en.yna.co.kr/view/AEN20250227001200315" in text
    assert "<mark>" in html
    rows = outbox(config)
    assert {r["state"] for r in rows} == {"sent"} and all(r["attempts"] == 1 for r in rows)
    assert {r["message_id"] for r in rows} >= {msg["Message-ID"]}


def test_the_same_story_from_two_outlets_threads_and_names_the_other(
    tmp_path: Path, feed_server: FeedServer, smtp: SmtpServer
) -> None:
    config = config_for(tmp_path, feed_server, smtp_email(smtp))
    run(config, "poll")
    smtp.wait_for(HITS)
    # A second outlet retells the Yonhap story in its own feed.
    retold = feed_server.files["yonhap_en.xml"].replace(b"en.yna.co.kr", b"wire.example.org")
    feed_server.files["wire.xml"] = retold
    path = config.read_text().replace(
        "[email]",
        f'[[feeds]]\nname = "wire"\nurl = "{feed_server.url("/feeds/wire.xml")}"\n'
        'outlet = "wire.example.org"\n\n[email]',
    )
    config.write_text(path)
    run(config, "poll")
    received = smtp.wait_for(HITS + 2)
    again = next(r.message for r in received[HITS:] if "3,000 more" in str(r.message["Subject"]))
    root = again["In-Reply-To"]
    assert root and root == again["References"]
    # The thread's root is the first alert of the story, whichever outlet carried it.
    assert root in {r.message["Message-ID"] for r in received[:HITS]}
    text = again.get_body(("plain",)).get_content()
    assert "Outlet:     wire.example.org (wire)" in text
    assert "Articles of this story:" in text
    assert "- Yonhap News Agency: N. Korea sends 3,000 more troops" in text
    assert "Figures:    " in text and "(JCS)" in text


def test_a_digest_arrives_at_its_time(
    tmp_path: Path, feed_server: FeedServer, smtp: SmtpServer
) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    at = (datetime.now(berlin) + timedelta(hours=12)).strftime("%H:%M")
    config = config_for(
        tmp_path, feed_server, smtp_email(smtp, f'mode = "digest"\ndigest_at = ["{at}"]\n')
    )
    assert "alerts: 0 sent" in run(config, "poll")  # not its time yet
    loaded = load(config)
    store = open_store(loaded)
    try:
        assert deliver(loaded, store, utcnow() + timedelta(hours=6)).sent == 0
        report = deliver(loaded, store, utcnow() + timedelta(hours=13))  # time passed in
        assert report.sent == HITS
        assert deliver(loaded, store, utcnow() + timedelta(hours=14)).sent == 0
    finally:
        store.close()
    [digest] = smtp.wait_for(1)
    # The digest groups the nine articles under the stories they tell (how many depends
    # on the order the feeds arrived in: each article joins the stories open before it).
    with sqlite3.connect(loaded.database) as db:
        count = db.execute("SELECT count(*) FROM stories").fetchone()[0]
    told = f"{HITS} new articles in {count} stor{'y' if count == 1 else 'ies'}"
    assert digest.message["Subject"] == f"[monitor] digest: {told}"
    text = digest.message.get_body(("plain",)).get_content()
    assert text.startswith(told) and f"== nk-troops-russia: {HITS} ==" in text
    assert text.count("\n-- Story ") == count


def test_mail_server_down_then_back_every_alert_exactly_once(
    tmp_path: Path, feed_server: FeedServer, smtp: SmtpServer
) -> None:
    config = config_for(tmp_path, feed_server, smtp_email(smtp))
    smtp.stop()
    out = run(config, "poll")
    assert f"alerts: 0 sent, {HITS} to retry" in out and "cannot talk to the SMTP server" in out
    rows = outbox(config)
    assert {r["state"] for r in rows} == {"pending"}
    assert all("cannot talk to the SMTP server" in str(r["last_error"]) for r in rows)
    feed_server.files["tagesschau.xml"] = feed_server.files["tagesschau_changed.xml"]
    run(config, "poll")  # polls go on while mail is down; the new hit queues too
    assert len(outbox(config)) == HITS + 1
    smtp.start()
    assert f"alerts: {HITS + 1} sent" in run(config, "outbox", "send")
    assert "alerts: 0 sent" in run(config, "outbox", "send")
    time.sleep(0.3)
    ids = [r.message["Message-ID"] for r in smtp.messages]
    assert len(ids) == HITS + 1 == len(set(ids))


def test_a_550_marks_the_alert_failed_and_retry_requeues_it(
    tmp_path: Path, feed_server: FeedServer, smtp: SmtpServer
) -> None:
    smtp.refuse["reader@example.org"] = (550, "5.1.1 no such user")
    config = config_for(tmp_path, feed_server, smtp_email(smtp))
    assert f"{HITS} failed" in run(config, "poll")
    failed = outbox(config)
    assert {r["state"] for r in failed} == {"failed"}
    assert "550 5.1.1 no such user" in str(failed[0]["last_error"])
    assert "failed" in run(config, "outbox", "--state", "failed")
    assert run(config, "outbox", "send").startswith("alerts: 0 sent")  # failed ones stay failed
    del smtp.refuse["reader@example.org"]
    alert_id = str(failed[0]["id"])
    assert "is pending again" in run(config, "outbox", "retry", alert_id)
    assert "alerts: 1 sent" in run(config, "outbox", "send")
    assert "no failed alert with id" in run(config, "outbox", "retry", alert_id, code=1)


def test_a_4xx_keeps_the_alert_pending(
    tmp_path: Path, feed_server: FeedServer, smtp: SmtpServer
) -> None:
    smtp.data_reply = (451, "4.3.0 try again later")
    config = config_for(tmp_path, feed_server, smtp_email(smtp))
    run(config, "poll")
    rows = outbox(config)
    assert {r["state"] for r in rows} == {"pending"} and all(r["attempts"] == 1 for r in rows)
    assert "451 4.3.0 try again later" in str(rows[0]["last_error"])
    smtp.data_reply = None
    assert f"alerts: {HITS} sent" in run(config, "outbox", "send")


def test_above_max_per_hour_alerts_fold_into_the_digest(
    tmp_path: Path, feed_server: FeedServer, smtp: SmtpServer
) -> None:
    config = config_for(tmp_path, feed_server, smtp_email(smtp, "max_per_hour = 2\n"))
    out = run(config, "poll")
    assert f"alerts: 2 sent, 0 to retry, 0 failed, {HITS - 2} folded into the digest" in out
    kinds = [(r["kind"], r["state"]) for r in outbox(config)]
    assert kinds.count(("immediate", "sent")) == 2
    assert kinds.count(("digest", "pending")) == HITS - 2


def test_a_hostile_title_arrives_harmless(
    tmp_path: Path, feed_server: FeedServer, smtp: SmtpServer
) -> None:
    feed_server.files["hostile.xml"] = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item>'
        b"<title>North Korea sends troops to Russia&#13;&#10;Bcc: victim@example.org "
        b"&lt;script&gt;alert(1)&lt;/script&gt;</title><link>https://x.example/1</link>"
        b"<description>&lt;img src=x onerror=alert(1)&gt; more North Korean troops</description>"
        b"</item></channel></rss>"
    )
    path = write_config(tmp_path, {"hostile": feed_server.url("/feeds/hostile.xml")})
    path.write_text(path.read_text() + "\n[email]\n" + ARTICLE + smtp_email(smtp))
    run(path, "poll")
    [received] = smtp.wait_for(1)
    header_block = received.data.split(b"\r\n\r\n")[0]
    assert b"\r\nBcc:" not in header_block and received.rcpt_tos == ["reader@example.org"]
    assert "\n" not in str(received.message["Subject"])
    html = received.message.get_body(("html",)).get_content()
    assert "<script>" not in html and "<img" not in html


def test_starttls_and_login(tmp_path: Path, feed_server: FeedServer) -> None:
    with SmtpServer(tls="starttls", auth=("monitor", "s3cret")) as server:
        email = smtp_email(server).replace('security = "none"', 'security = "starttls"')
        email += f'username = "monitor"\nca_file = "{server.ca_file}"\n'
        config = config_for(tmp_path, feed_server, email)
        good = {"MONITOR_SMTP_PASSWORD": "s3cret"}
        assert "250" in run(config, "test-email", env=good)
        assert server.wait_for(1)[0].message["Subject"] == "[monitor] test message"
        bad = run(config, "test-email", code=1, env={"MONITOR_SMTP_PASSWORD": "wrong"})
        assert "refused the login (535" in bad and "MONITOR_SMTP_PASSWORD" in bad
        assert f"alerts: {HITS} sent" in run(config, "poll", env=good)
        config.write_text(config.read_text().replace('security = "starttls"', 'security = "tls"'))
        mismatch = run(config, "test-email", code=1, env=good)
        assert "Error: TLS with 127.0.0.1" in mismatch and "email.security" in mismatch


def test_killed_daemon_restarts_without_sending_twice(
    tmp_path: Path, feed_server: FeedServer, smtp: SmtpServer
) -> None:
    config = config_for(tmp_path, feed_server, smtp_email(smtp))
    command = [sys.executable, "-m", "monitor", "--config", str(config), "run"]
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        smtp.wait_for(HITS, timeout=30)
        # Kill it between polls, once every delivery is recorded. (Killed between the
        # server's answer and that record, it would send one alert again, with the
        # same Message-ID: the window the README documents.)
        wait_for(lambda: [r["state"] for r in outbox(config)] == ["sent"] * HITS)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    second = subprocess.Popen(
        [*command[:-1], "-vv", "run"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(second.stdout or ()), daemon=True)
    reader.start()
    try:
        # The feeds are not due again for 15 minutes; the first delivery round runs
        # two seconds after start and finds nothing left to send.
        wait_for(lambda: any("alert_round" in line for line in lines), timeout=30)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
        reader.join(timeout=10)
        if second.stdout is not None:
            second.stdout.close()
    output = "".join(lines)
    assert second.returncode == 0, output
    assert len(smtp.messages) == HITS
    assert {r["state"] for r in outbox(config)} == {"sent"}


def test_two_rounds_at_once_never_send_one_alert_twice(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    """A daemon and a `monitor poll` may deliver at the same moment: claims decide."""
    from monitor import outbox as queue

    config = config_for(tmp_path, feed_server, 'to = ["reader@example.org"]\nmode = "digest"\n')
    run(config, "poll")  # digest mode: the alerts wait
    loaded = load(config)
    first, second = open_store(loaded), open_store(loaded)
    later = utcnow() + timedelta(days=1)
    try:
        ids = [r["alert_id"] for r in queue.due(first, "digest", later)]
        assert len(ids) == HITS
        assert queue.claim(first, ids, later) == set(ids)
        assert queue.claim(second, ids, later) == set()  # the other round gets nothing
        assert queue.due(second, "digest", later) == []
        assert {r["state"] for r in outbox(config)} == {"sending"}
        # The first round dies without a word; after the lease the alerts are due again.
        after = later + queue.LEASE + timedelta(seconds=1)
        again = [r["alert_id"] for r in queue.due(second, "digest", after)]
        assert queue.claim(second, again, after) == set(ids)
    finally:
        first.close()
        second.close()


def test_a_round_killed_half_way_leaves_only_its_message_claimed(
    tmp_path: Path, feed_server: FeedServer, smtp: SmtpServer
) -> None:
    """Alerts are claimed message by message: a kill while the server holds the third
    message leaves that one alert waiting for its lease, and the rest go out at once."""
    config = config_for(tmp_path, feed_server, smtp_email(smtp))
    smtp.stall_after = 2  # the third DATA gets no answer
    command = [sys.executable, "-m", "monitor", "--config", str(config), "-q", "poll"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        smtp.wait_for(2, timeout=30)
        wait_for(lambda: smtp.stalled)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    states = [r["state"] for r in outbox(config)]
    assert states.count("sent") == 2 and states.count("sending") == 1, states
    assert states.count("pending") == HITS - 3
    smtp.stall_after = None
    assert f"alerts: {HITS - 3} sent" in run(config, "outbox", "send")
    assert len(smtp.messages) == HITS - 1
    assert sorted(r["state"] for r in outbox(config)) == ["sending"] + ["sent"] * (HITS - 1)


@pytest.mark.parametrize(
    "trick",
    [
        "=?utf-8?q?=0D=0ABcc:_evil@evil.example?=",
        "=?utf-8?q?=0D=0A=0D=0AYou_won!?=",
        "=?UTF-8?B?DQpCY2M6IGV2aWxAZXZpbC5leGFtcGxlDQo=?=",
        "=?iso-8859-1?q?=0ABcc=3A_evil=40evil=2Eexample?=",
        "\u2028Bcc: evil@evil.example\u0085X-Evil: 1",
    ],
)
def test_encoded_words_in_a_title_add_no_header(
    tmp_path: Path, feed_server: FeedServer, smtp: SmtpServer, trick: str
) -> None:
    """CVE-2024-6923: the email package decodes encoded words and, before 3.11.10, wrote
    their CR LF out as real line breaks. Feed text must not reach a header as MIME."""
    title = f"North Korean troops deployed to Kursk {trick}"
    feed_server.files["trick.xml"] = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>x</title>'
        f"<item><title>{title}</title><link>https://x.example/1</link>"
        "<description>North Korean soldiers fight for Russia.</description></item>"
        "</channel></rss>"
    ).encode()
    path = write_config(tmp_path, {"trick": feed_server.url("/feeds/trick.xml")})
    path.write_text(path.read_text() + "\n[email]\n" + ARTICLE + smtp_email(smtp))
    run(path, "poll")
    [received] = smtp.wait_for(1)
    head = received.data.split(b"\r\n\r\n", 1)[0].decode("ascii")
    names = [line.split(":")[0] for line in head.split("\r\n") if not line[0].isspace()]
    expected = ["From", "To", "Subject", "Date", "Auto-Submitted", "Message-ID", "List-Id"]
    assert sorted(names) == sorted([*expected, "Content-Type", "MIME-Version"]), head
    assert received.rcpt_tos == ["reader@example.org"]
    subject = str(received.message["Subject"])
    assert "\n" not in subject and "\r" not in subject
    assert subject.startswith("[monitor] nk-troops-russia: North Korean troops deployed")
    assert "You won" not in received.message.get_body(("plain",)).get_content().split("\n")[0]
