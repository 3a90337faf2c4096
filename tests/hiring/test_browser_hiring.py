"""#11's "Show it" in real Chromium, from an empty database: an admin creates a team, invites a recruiter and a
line manager (each sets her password through the link in the email a real RQ worker delivered to an SMTP
sink), creates two roles and imports a Greenhouse and a Lever export (a Lever file with three bad rows is
refused whole first); candidate mail then comes in through the HTTP intake and a real RQ worker, and the
inbox's lanes and the overview's figures are those of the mail sent in; the line manager sees only her role.

Run on their own with `pytest -m browser`. Without Chromium they skip, loudly.
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.request
import warnings
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email import policy as email_policy
from email.utils import format_datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD
from tests.intake.conftest import make_raw
from triage.accounts import users
from triage.db import Candidate, Message, User
from triage.hiring.overview import week_start
from triage.runtime import worker

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("TRIAGE_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
DATA = Path(__file__).parent / "data"
RITA_PASSWORD = "rita chooses a passphrase"
LENA_PASSWORD = "lena chooses another one"


@pytest.fixture
def settings(make_settings, redis_client, sink):
    """The suite's settings, sending to this test's sink (the invitations go there)."""
    return make_settings(SMTP_URL=f"smtp://127.0.0.1:{sink.port}")


@pytest.fixture(scope="module")
def chromium():
    if not Path(CHROMIUM).exists():
        reason = f"BROWSER TESTS SKIPPED: no Chromium at {CHROMIUM} (apt-get install chromium, or set TRIAGE_CHROMIUM)"
        warnings.warn(reason, pytest.PytestWarning, stacklevel=2)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


def _log_in(chromium, live_server, email: str, password: str):
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(live_server + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(live_server + "/")
    return context, page, errors


def _invite(page, live_server, email: str, name: str, kind: str, team: str) -> None:
    page.goto(live_server + "/admin/invitations")
    form = page.locator("form.invite-form")
    form.get_by_label("Email").fill(email)
    form.get_by_label("Name").fill(name)
    form.get_by_label("Kind").select_option(kind)
    form.get_by_label("Team").select_option(label=team)
    form.get_by_role("button", name="Invite").click()
    expect(page.locator(".flash")).to_contain_text(f"Invitation sent to {email}")


def _mailed_links(settings, sink) -> dict[str, str]:
    """Deliver the outbox with a real RQ worker; the invitation link each recipient got, by address."""
    worker.build(settings).work(burst=True)
    links = {}
    for envelope in sink.messages:
        mail = message_from_bytes(envelope.original_content or envelope.content, policy=email_policy.default)
        [link] = re.findall(r"http://\S+/invitations/\S+", mail.get_body(("plain",)).get_content())
        links[envelope.rcpt_tos[0]] = link
    return links


def _accept(chromium, link: str, password: str):
    """The invitee opens the link from her email, chooses a password and lands in her inbox."""
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(link)
    page.get_by_label("New password").fill(password)
    page.get_by_label("Repeat the password").fill(password)
    page.get_by_role("button", name="Set password and log in").click()
    expect(page.locator(".flash")).to_contain_text("your password is set")
    return context, page, errors


def _create_role(page, live_server, reference: str, title: str, owner: str, manager: str | None) -> None:
    page.goto(live_server + "/hiring/roles/new")
    page.get_by_label("Requisition reference").fill(reference)
    page.get_by_label("Title").fill(title)
    page.get_by_label("Team").fill("Analytics")
    page.get_by_label("Recruiter").select_option(label=owner)
    if manager:
        page.get_by_label(manager).check()
    page.get_by_role("button", name="Create role").click()
    expect(page.locator("h1")).to_contain_text(reference)


def _preview(page, live_server, reference: str, path: Path) -> None:
    page.goto(live_server + "/hiring/roles")
    page.get_by_role("link", name=reference).click()
    page.get_by_role("link", name="Import applicants (CSV)").click()
    page.get_by_label("CSV export").set_input_files(str(path))
    page.get_by_role("button", name="Preview").click()


def _set_up(chromium, live_server, settings, sink, make_user) -> dict[str, str]:
    """The admin's part, from an empty database; returns the invitation links by address."""
    admin = make_user("admin", email="admin@example.com")
    context, page, errors = _log_in(chromium, live_server, admin.email, PASSWORD)
    page.goto(live_server + "/admin/teams")
    page.get_by_label("New team").fill("Analytics")
    page.get_by_role("button", name="Create team").click()
    expect(page.locator("h1")).to_have_text("Policy of Analytics")

    _invite(page, live_server, "rita@example.com", "Rita Recruiter", "recruiter", "Analytics")
    _invite(page, live_server, "lena@example.com", "Lena Manager", "line_manager", "Analytics")
    links = _mailed_links(settings, sink)
    _create_role(
        page,
        live_server,
        "REQ-1042",
        "Data Analyst",
        "Rita Recruiter (rita@example.com)",
        "Lena Manager (lena@example.com)",
    )
    _create_role(page, live_server, "REQ-2001", "Backend Engineer", "Rita Recruiter (rita@example.com)", None)

    _preview(page, live_server, "REQ-1042", DATA / "greenhouse.csv")
    expect(page.locator("#preview-title")).to_contain_text("Greenhouse export")
    expect(page.locator("#import-summary")).to_have_text("7 applicants: 7 new, 0 updated, 0 unchanged.")
    page.get_by_role("button", name="Import 7 applicants").click()
    expect(page.locator(".flash")).to_contain_text("Imported into REQ-1042: 7 new")
    expect(page.locator("#applicants tbody tr")).to_have_count(7)

    _preview(page, live_server, "REQ-2001", DATA / "lever_bad.csv")
    expect(page.locator("#preview-title")).to_contain_text("Lever export")
    expect(page.locator("#import-errors li")).to_have_text(
        [
            "line 3, column 'Email': bad email 'linus.torvalds(at)example.com'",
            "line 4, column 'Stage': unknown stage 'Culture vibe check'",
            "line 5, column 'Created At (GMT)': 'sometime in October' is not a date",
        ]
    )
    expect(page.get_by_role("button", name="Import 2 applicants")).to_have_count(0)
    page.goto(live_server + "/hiring/roles")
    expect(page.locator("#manage-roles tbody tr").nth(1)).to_contain_text("REQ-2001")
    expect(page.locator("#manage-roles tbody tr").nth(1).locator("td.num")).to_have_text("0")  # nothing half-imported

    _preview(page, live_server, "REQ-2001", DATA / "lever.csv")  # the export, corrected
    page.get_by_role("button", name="Import 6 applicants").click()
    expect(page.locator(".flash")).to_contain_text("Imported into REQ-2001: 6 new")
    context.close()
    assert errors == []
    return links


def _post_mail(live_server: str, token: str, raw: bytes) -> int:
    """POST one raw email to the HTTP intake, as a mail gateway does; the stored message's id."""
    request = urllib.request.Request(
        live_server + "/api/v1/messages",
        data=raw,
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "message/rfc822"},
    )
    with urllib.request.urlopen(request, timeout=30) as reply:
        assert reply.status == 202
        return int(json.loads(reply.read())["id"])


def _forward(candidate: str, sent: datetime, body: str) -> str:
    return (
        "Can you pick this up?\n\n"
        "---------- Forwarded message ---------\n"
        f"From: {candidate}\n"
        f"Date: {format_datetime(sent)}\n"
        "Subject: Any update?\n"
        "To: Rita Recruiter <rita@example.com>\n\n"
        f"{body}\n"
    )


def _mail_comes_in(live_server: str, settings, database) -> dict[str, int]:
    """Five candidate emails through the HTTP intake, then a real RQ worker triages them; their ids."""
    with database.session() as s:
        rita = s.scalar(select(User).where(User.email == "rita@example.com"))
        token = users.create_token(s, rita, "mail gateway")
        s.commit()
    now = datetime.now(UTC)
    earlier = max(now - timedelta(minutes=5), week_start(now))  # this week, whenever the test runs
    mails = {
        # Rita forwards Alan's status check from her own mailbox: unwrapped, Alan is the sender.
        "forward": make_raw(
            sender="Rita Recruiter <rita@example.com>",
            subject="Fwd: Any update?",
            body=_forward(
                "Alan Turing <alan.turing@example.com>", earlier, "Hi Rita, is there any update on my application?"
            ),
            date=now,
        ),
        # Katherine answers the request for references Rita recorded on her page.
        "answer": make_raw(
            sender="Katherine Johnson <katherine.johnson@example.com>",
            subject="Re: references",
            body="Hello Rita, my references attached as you asked.",
            date=now,
        ),
        # Someone Triage has never heard of.
        "unknown": make_raw(
            sender="Pat Stranger <pat.stranger@mail.example.net>",
            subject="A question",
            body="Hello, maybe you have a job for me?",
            date=now,
        ),
        "thanks": make_raw(
            sender="Grace Hopper <grace.hopper@example.com>",
            subject="Thank you",
            body="Thank you for the call yesterday, it was a pleasure.",
            date=now,
        ),
        # A candidate of the other role: the line manager of REQ-1042 must not see it.
        "other_role": make_raw(
            sender="Radia Perlman <radia.perlman@example.com>",
            subject="Backend Engineer",
            body="Hi, is there any update on the backend role?",
            date=now,
        ),
    }
    ids = {name: _post_mail(live_server, token, raw) for name, raw in mails.items()}
    _triage(settings, database, set(ids.values()))
    return ids


def _triage(settings, database, ids: set[int]) -> None:
    """Run a real RQ worker (burst: it returns once the queue is empty) until every message has its lane.

    The HTTP intake answers 202 once the row is committed and enqueues from its own thread a moment
    later, so the first burst may find nothing yet: poll, with a deadline."""
    deadline = time.monotonic() + 60
    while ids:
        assert time.monotonic() < deadline, f"messages {sorted(ids)} were never triaged"
        worker.build(settings).work(burst=True)
        with database.session() as s:
            ids = set(s.scalars(select(Message.id).where(Message.id.in_(ids), Message.lane.is_(None))))


def test_show_it_a_team_from_nothing_its_mail_in_lanes_and_overview_and_the_line_manager_sees_her_role(
    chromium, live_server, settings, sink, database, keyword_model, make_user
):
    links = _set_up(chromium, live_server, settings, sink, make_user)
    assert sorted(links) == ["lena@example.com", "rita@example.com"]

    # Rita sets her password through her link, and records that she asked Katherine for references.
    context, page, errors = _accept(chromium, links["rita@example.com"], RITA_PASSWORD)
    page.goto(live_server + "/hiring/roles")
    page.get_by_role("link", name="REQ-1042").click()
    page.get_by_role("link", name="Katherine Johnson").click()
    contact = page.locator("form.contact-form")
    contact.get_by_label("How").select_option("phone")
    contact.get_by_label("On", exact=True).fill((datetime.now(UTC).date() - timedelta(days=1)).isoformat())
    contact.get_by_label("We asked them for something").check()
    contact.get_by_label("Note").fill("asked for two references")
    contact.get_by_role("button", name="Record contact").click()
    expect(page.locator(".flash")).to_contain_text("Contact recorded")

    ids = _mail_comes_in(live_server, settings, database)
    with database.session() as s:
        placed = {name: s.get(Message, i) for name, i in ids.items()}
        lanes = {name: m.lane.value for name, m in placed.items()}
        alan = s.scalar(select(Candidate.id).where(Candidate.email == "alan.turing@example.com"))
        forwarded = (placed["forward"].candidate_id, placed["forward"].forwarded_by_id is not None)
    assert forwarded == (alan, True)
    assert lanes == {
        "forward": "feedback",  # interview on 20 Nov was 17 days ago, no contact since
        "answer": "today",
        "unknown": "review",
        "thanks": "fyi",
        "other_role": "held",  # interview on 25 Nov was 12 days ago: inside the 14-day waiting window
    }

    page.goto(live_server + "/")
    for lane, count in {"today": 1, "feedback": 1, "held": 1, "fyi": 1, "review": 1}.items():
        expect(page.locator(f"#count-{lane}")).to_have_text(str(count))
    page.goto(live_server + "/hiring/overview")
    expect(page.locator("#headline strong")).to_have_text("5 messages in, 3 needed you")
    analyst = page.locator("#overview tbody tr").filter(has_text="REQ-1042")
    # Open applicants by stage (applied, screening, interviewing, interviewed, offer), then this week by lane.
    # Greenhouse: Ada applied, Grace screening, Alan interviewing, Katherine interviewed (reference check),
    # Edsger offer (Barbara rejected and Donald hired are not open); this week Today, Feedback and FYI one each;
    # none answered by a batch or personally yet, nothing overdue.
    expect(analyst.locator("td.num")).to_have_text(["1", "1", "1", "1", "1", "1", "1", "0", "1", "0", "0", "0", "0"])
    backend = page.locator("#overview tbody tr").filter(has_text="REQ-2001")
    # Lever: Margaret applied, Linus screening, Radia interviewing, Dennis offer (Ken rejected, Frances
    # withdrawn); this week Radia's chaser, held.
    expect(backend.locator("td.num")).to_have_text(["1", "1", "1", "0", "1", "0", "0", "1", "0", "0", "0", "0", "0"])
    context.close()

    # Lena sets her password and sees only REQ-1042: its three messages, its row, its page.
    context, page, lm_errors = _accept(chromium, links["lena@example.com"], LENA_PASSWORD)
    page.goto(live_server + "/")
    for lane, count in {"today": 1, "feedback": 1, "held": 0, "fyi": 1, "review": 0}.items():
        expect(page.locator(f"#count-{lane}")).to_have_text(str(count))
    page.goto(live_server + "/hiring/overview")
    expect(page.locator("#headline strong")).to_have_text("3 messages in, 2 needed you")
    expect(page.locator("#overview tbody tr")).to_have_count(1)
    expect(page.locator("#overview")).to_contain_text("REQ-1042")
    page.goto(live_server + "/hiring/roles")
    expect(page.locator("#manage-roles tbody tr")).to_have_count(1)
    expect(page.locator("#manage-roles")).not_to_contain_text("REQ-2001")
    with database.session() as s:
        backend_id = s.scalar(select(Message.role_id).where(Message.id == ids["other_role"]))
    for path in (f"/hiring/roles/{backend_id}", f"/messages/{ids['other_role']}", f"/messages/{ids['unknown']}"):
        reply = page.goto(live_server + path)
        assert reply.status == 404, path
        expect(page.locator("#error-title")).to_have_text("Nothing here")
    context.close()
    assert errors == [] and lm_errors == []
