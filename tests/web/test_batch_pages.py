"""The batch pages say who: the preview lists every recipient, a batch's page names its roles and
each email with its state, the recent batches name their role, and dates read as everywhere else."""

from __future__ import annotations

from datetime import date, timedelta

import lxml.html
import pytest
from sqlalchemy import event

from tests.conftest import csrf_from
from triage import dates
from triage.db import Team
from triage.outbound import templates
from triage.runtime import worker

NEXT = date.today() + timedelta(days=10)
SAID = f"{dates.short_day(NEXT)} {NEXT.year}"  # "15 Dec 2026"


@pytest.fixture
def settings(make_settings, redis_client, sink):
    """The suite's settings, sending to this test's sink."""
    return make_settings(SMTP_URL=f"smtp://127.0.0.1:{sink.port}", TRIAGE_FROM_ADDRESS="jobs@acme.example")


@pytest.fixture
def recruiter(make_user, login):
    user = make_user("recruiter")
    login(user)
    return user


@pytest.fixture
def make_team_role(db_session, make_role, make_application, make_candidate):
    """make_team_role(n, reference, title) -> (role, [names]): n interviewed candidates, sent at once."""

    def build(n: int, reference: str = "REQ-1045", title: str = "QA Engineer"):
        team = Team(name=f"Team {reference}", policy={"undo_send_seconds": 0})
        db_session.add(team)
        db_session.commit()
        role = make_role(title=title, reference=reference, team_id=team.id)
        names = [f"Recipient{i:03d} {reference}" for i in range(n)]
        for i, name in enumerate(names):
            make_application(role, make_candidate(name, email=f"r{i}.{reference.lower()}@example.org"))
        return role, names

    return build


def _form(client, db_session, roles, **extra) -> dict:
    token = csrf_from(client.get("/batches/").get_data(as_text=True))  # the page seeds the templates
    template = templates.default_template(db_session, templates.TemplateKind.status_update)
    db_session.commit()  # end the read: SQLite's lock would hold off the page's writes
    return {
        "csrf_token": token,
        "role_ids": [str(r.id) for r in roles],
        "stages": "interviewed",
        "template_id": str(template.id),
        "next_update_on": NEXT.isoformat(),
        **extra,
    }


def _preview(client, db_session, roles) -> lxml.html.HtmlElement:
    response = client.post("/batches/preview", data=_form(client, db_session, roles), headers={"HX-Request": "true"})
    assert response.status_code == 200
    return lxml.html.fragment_fromstring(response.get_data(as_text=True), create_parent="div")


def _send(client, db_session, roles, count: int, **extra) -> str:
    response = client.post("/batches/", data=_form(client, db_session, roles, confirm=str(count), **extra))
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def _rows(html: str, table_id: str) -> dict[str, list[str]]:
    """A table's body rows keyed by their first cell's text."""
    page = lxml.html.fromstring(html)
    rows = page.xpath(f"//table[@id='{table_id}']/tbody/tr")
    return {r[0].text_content().strip(): [c.text_content().strip() for c in r[1:]] for r in rows}


def _recipients(preview) -> list[list[str]]:
    """Each recipient line of a preview: name, email, role, stage."""
    return [
        [tr.xpath(f"string(.//span[@class='{part}'])") for part in ("name", "muted email", "role", "muted stage")]
        for tr in preview.xpath("//details[@id='recipients']//tbody/tr")
    ]


def test_the_preview_lists_every_recipient_not_only_the_samples(client, recruiter, db_session, make_team_role):
    role, names = make_team_role(24)
    preview = _preview(client, db_session, [role])
    samples = preview.xpath("//article[contains(@class, 'email-preview')]")
    assert (sorted(r[0] for r in _recipients(preview)), len(samples) < 24) == (names, True)


def test_each_recipient_in_the_preview_has_email_role_and_stage(client, recruiter, db_session, make_team_role):
    role, names = make_team_role(2)
    assert _recipients(_preview(client, db_session, [role])) == [
        [names[0], "r0.req-1045@example.org", "REQ-1045 · QA Engineer", "interviewed"],
        [names[1], "r1.req-1045@example.org", "REQ-1045 · QA Engineer", "interviewed"],
    ]


@pytest.mark.parametrize(("n", "shown_open"), [(10, True), (11, False)])
def test_the_list_of_recipients_starts_open_only_when_short(
    client, recruiter, db_session, make_team_role, n, shown_open
):
    role, _ = make_team_role(n)
    details = _preview(client, db_session, [role]).xpath("//details[@id='recipients']")
    assert (len(details), "open" in details[0].attrib) == (1, shown_open)


def _statements(database, call, *args, **kwargs) -> tuple[int, str]:
    """How many SQL statements a request runs, and the page it returns."""
    seen: list[str] = []

    def count(conn, cursor, statement, *rest) -> None:
        seen.append(statement)

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        page = call(*args, **kwargs).get_data(as_text=True)
    finally:
        event.remove(database.engine, "before_cursor_execute", count)
    return len(seen), page


def test_the_preview_reads_as_many_rows_for_a_hundred_recipients_as_for_two(
    client, recruiter, db_session, database, make_team_role
):
    small, big = make_team_role(2, reference="REQ-1")[0], make_team_role(100, reference="REQ-2")[0]
    counts, page = [], ""
    for role in (small, small, big):  # the first one warms up: the templates seeded, the user loaded
        form = _form(client, db_session, [role])
        n, page = _statements(database, client.post, "/batches/preview", data=form, headers={"HX-Request": "true"})
        counts.append(n)
    listed = lxml.html.fromstring(page).xpath("//details[@id='recipients']//tbody/tr")
    assert (counts[2], len(listed)) == (counts[1], 100)


def test_the_batch_page_reads_as_many_rows_for_a_hundred_emails_as_for_two(
    client, recruiter, db_session, database, make_team_role
):
    urls = [_send(client, db_session, [make_team_role(n, reference=f"REQ-{n}")[0]], n) for n in (2, 100)]
    client.get(urls[0])  # warm up
    (few, _), (many, page) = (_statements(database, client.get, u) for u in urls)
    assert (many, len(_rows(page, "batch-emails"))) == (few, 100)


def test_the_batch_page_names_its_roles(client, recruiter, db_session, make_team_role):
    qa, _ = make_team_role(1, reference="REQ-1045", title="QA Engineer")
    nurse, _ = make_team_role(1, reference="REQ-2001", title="Staff Nurse")
    page = client.get(_send(client, db_session, [qa, nurse], 2)).get_data(as_text=True)
    roles = lxml.html.fromstring(page).get_element_by_id("batch-roles").text_content()
    assert "REQ-1045 · QA Engineer" in roles and "REQ-2001 · Staff Nurse" in roles


def test_the_batch_page_lists_each_email_with_its_state(client, recruiter, db_session, make_team_role, settings, sink):
    role, names = make_team_role(3)
    sink.handler.modes = {"r1.req-1045@example.org": "permfail"}
    url = _send(client, db_session, [role], 3)
    worker.build(settings).work(burst=True)  # burst: returns once every queued job has run
    rows = _rows(client.get(url).get_data(as_text=True), "batch-emails")
    states = {name: cells[2] for name, cells in rows.items()}
    assert states == {names[0]: "sent", names[1]: "failed", names[2]: "sent"}


def test_emails_not_yet_sent_read_queued_and_a_stopped_one_cancelled(
    client, recruiter, db_session, make_team_role, settings
):
    role, names = make_team_role(2)
    url = _send(client, db_session, [role], 2)  # no worker: the rows wait in the outbox
    before = {name: cells[2] for name, cells in _rows(client.get(url).get_data(as_text=True), "batch-emails").items()}
    client.post(url.rstrip("/") + "/cancel", data={"csrf_token": csrf_from(client.get(url).get_data(as_text=True))})
    after = {name: cells[2] for name, cells in _rows(client.get(url).get_data(as_text=True), "batch-emails").items()}
    assert (before, after) == (dict.fromkeys(names, "queued"), dict.fromkeys(names, "cancelled"))


def test_the_live_progress_lists_the_emails_too(client, recruiter, db_session, make_team_role):
    role, names = make_team_role(2)
    url = _send(client, db_session, [role], 2)
    fragment = client.get(url.rstrip("/") + "/progress").get_data(as_text=True)
    assert sorted(_rows(f"<div>{fragment}</div>", "batch-emails")) == names


def test_a_scheduled_batch_lists_whom_it_would_write_to(client, recruiter, db_session, make_team_role):
    role, names = make_team_role(2)
    at = (date.today() + timedelta(days=2)).isoformat() + "T09:00"
    url = _send(client, db_session, [role], 2, send_at=at, tz="UTC")
    rows = _rows(client.get(url).get_data(as_text=True), "batch-emails")
    assert {name: cells[2] for name, cells in rows.items()} == dict.fromkeys(names, "scheduled")


def test_recent_batches_have_a_role_column(client, recruiter, db_session, make_team_role):
    role, _ = make_team_role(1, reference="REQ-1045", title="QA Engineer")
    _send(client, db_session, [role], 1)
    page = lxml.html.fromstring(client.get("/batches/").get_data(as_text=True))
    table = page.xpath("//h2[text()='Recent batches']/following-sibling::table[1]")[0]
    headers = [th.text_content() for th in table.xpath("thead/tr/th")]
    cell = table.xpath("tbody/tr[1]/td")[headers.index("Role")].text_content()
    assert cell == "REQ-1045 · QA Engineer"


def test_the_batch_page_says_dates_like_the_rest_of_the_app(client, recruiter, db_session, make_team_role):
    role, _ = make_team_role(1)
    at = (date.today() + timedelta(days=2)).isoformat() + "T09:00"
    url = _send(client, db_session, [role], 1, send_at=at, tz="UTC")
    line = lxml.html.fromstring(client.get(url).get_data(as_text=True)).xpath("//h1/following-sibling::p[2]")[0]
    day = date.today() + timedelta(days=2)
    wanted = (f"next update {SAID}", f"scheduled for {dates.short_day(day)} {day.year} 09:00 UTC")
    assert all(w in " ".join(line.text_content().split()) for w in wanted), line.text_content()


def test_recent_batches_say_the_next_update_like_the_rest_of_the_app(client, recruiter, db_session, make_team_role):
    role, _ = make_team_role(1)
    _send(client, db_session, [role], 1)
    page = lxml.html.fromstring(client.get("/batches/").get_data(as_text=True))
    table = page.xpath("//h2[text()='Recent batches']/following-sibling::table[1]")[0]
    headers = [th.text_content() for th in table.xpath("thead/tr/th")]
    assert table.xpath("tbody/tr[1]/td")[headers.index("Next update")].text_content() == SAID


def test_the_preview_names_whom_the_weekly_cap_leaves_out(client, recruiter, db_session, make_team_role, settings):
    role, names = make_team_role(3)
    _send(client, db_session, [role], 3)
    worker.build(settings).work(burst=True)
    preview = _preview(client, db_session, [role])
    who = [li.text_content().strip() for li in preview.xpath("//ul[@class='skipped']//details//li")]
    assert [w.split(" <")[0] for w in who] == names
