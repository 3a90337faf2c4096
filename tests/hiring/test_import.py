"""Applicants from ATS exports: every format's columns and stages, all-or-nothing, idempotent, bad files refused."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from triage.db import Application, ApplicationEvent, AppStage, Candidate, CandidateAddress
from triage.errors import BadInput, TooLarge
from triage.hiring import applicants, csvfile
from triage.hiring.cli import applicants_command

STAGES = {
    "greenhouse": ["applied", "screening", "interviewing", "interviewed", "offer", "rejected", "hired"],
    "lever": ["applied", "screening", "interviewing", "rejected", "withdrawn", "offer"],
    "workable": ["applied", "screening", "interviewing", "rejected", "offer"],
    "teamtailor": ["applied", "screening", "interviewing", "rejected", "hired"],
}
ATS = {"greenhouse": "Greenhouse", "lever": "Lever", "workable": "Workable", "teamtailor": "Teamtailor"}


def _import(session, data: bytes, role):
    plan = applicants.plan_csv(session, data, role)
    counts = applicants.apply(session, plan, None)
    session.commit()
    return plan, counts


def _stages(session, role) -> list[str]:
    rows = session.scalars(select(Application).where(Application.role_id == role.id).order_by(Application.id))
    return [a.stage.value for a in rows]


@pytest.mark.parametrize("name", sorted(STAGES))
def test_each_ats_export_maps_to_our_stages(db_session, make_role, sample, name):
    role = make_role()
    plan, _ = _import(db_session, sample(name), role)
    assert (plan.ats, _stages(db_session, role)) == (ATS[name], STAGES[name])


def test_greenhouse_dates_land_where_routing_reads_them(db_session, make_role, sample):
    role = make_role()
    _import(db_session, sample("greenhouse"), role)
    app = db_session.scalar(select(Application).join(Candidate).where(Candidate.email == "barbara.liskov@example.com"))
    assert (app.applied_at.isoformat(), app.interview_at.isoformat(), app.rejected_at.isoformat()) == (
        "2026-10-06T12:00:00+00:00",
        "2026-11-12T10:00:00+00:00",
        "2026-11-18T17:05:00+00:00",
    )


def test_importing_the_same_file_twice_changes_nothing(db_session, make_role, sample):
    role = make_role()
    _import(db_session, sample("lever"), role)
    _, counts = _import(db_session, sample("lever"), role)
    total = db_session.scalar(select(func.count()).select_from(Application).where(Application.role_id == role.id))
    assert (counts, total) == ({"new": 0, "update": 0, "unchanged": 6}, 6)


def test_a_changed_stage_updates_the_application_and_its_history(db_session, make_role, sample):
    role = make_role()
    _import(db_session, sample("greenhouse"), role)
    changed = sample("greenhouse").replace(b"Application Review,Active", b"Preliminary Phone Screen,Active")
    _, counts = _import(db_session, changed, role)
    app = db_session.scalar(select(Application).join(Candidate).where(Candidate.email == "ada.lovelace@example.com"))
    events = db_session.scalar(select(func.count()).where(ApplicationEvent.application_id == app.id))
    assert (counts["update"], app.stage, events) == (1, AppStage.screening, 2)


def test_an_existing_sender_becomes_the_applicant(db_session, make_role, sample):
    db_session.add(Candidate(email="ada.lovelace@example.com", name=""))
    db_session.commit()
    role = make_role()
    _import(db_session, sample("greenhouse"), role)
    assert db_session.scalar(select(func.count()).where(Candidate.email == "ada.lovelace@example.com")) == 1


def test_an_address_merged_into_a_candidate_imports_as_that_candidate(db_session, make_role, sample):
    ada = Candidate(email="ada@home.example", name="Ada")
    db_session.add(ada)
    db_session.flush()
    db_session.add(CandidateAddress(candidate_id=ada.id, address="ada.lovelace@example.com"))
    db_session.commit()
    role = make_role()
    _import(db_session, sample("greenhouse"), role)
    _import(db_session, sample("greenhouse"), role)  # again: the merged address updates, never duplicates
    apps = db_session.scalar(
        select(func.count()).where(Application.role_id == role.id, Application.candidate_id == ada.id)
    )
    made = db_session.scalar(select(func.count()).where(Candidate.email == "ada.lovelace@example.com"))
    assert (apps, made) == (1, 0)


BAD = (
    "Name,Email,Stage,Applied At\n"
    "Good One,good@example.com,Applied,2026-11-01\n"
    "Bad Mail,not-an-email,Applied,2026-11-01\n"
    "Odd Stage,odd@example.com,Daydreaming,2026-11-01\n"
    "Bad Date,date@example.com,Applied,the 45th of Smarch\n"
)


def test_bad_rows_are_reported_by_line_and_reason(db_session, make_role):
    plan = applicants.plan_csv(db_session, BAD.encode(), make_role())
    assert plan.errors == [
        (3, "column 'Email': bad email 'not-an-email'"),
        (4, "column 'Stage': unknown stage 'Daydreaming'"),
        (5, "column 'Applied At': 'the 45th of Smarch' is not a date"),
    ]


def test_a_file_with_a_bad_row_imports_nothing(db_session, make_role):
    role = make_role()
    plan = applicants.plan_csv(db_session, BAD.encode(), role)
    with pytest.raises(BadInput, match="3 bad row"):
        applicants.apply(db_session, plan, None)
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(Application)) == 0


def test_the_same_email_twice_in_a_file_is_a_bad_row(db_session, make_role):
    data = b"Name,Email,Stage\nA,a@example.com,Applied\nA again,A@Example.com,Screening\n"
    plan = applicants.plan_csv(db_session, data, make_role())
    assert plan.errors == [(3, "a@example.com is already on line 2")]


def test_windows_1252_is_read_and_said(db_session, make_role):
    data = "Name,Email,Stage\nRenée Müller,renee@example.com,Applied\n".encode("cp1252")
    plan = applicants.plan_csv(db_session, data, make_role())
    assert (plan.encoding, plan.rows[0].name) == ("Windows-1252", "Renée Müller")


def test_a_utf8_byte_order_mark_does_not_hide_the_first_column(db_session, make_role):
    data = "\ufeffEmail,Name,Stage\nbom@example.com,Zoë,Applied\n".encode()
    plan = applicants.plan_csv(db_session, data, make_role())
    assert (plan.columns["email"], plan.rows[0].email) == ("Email", "bom@example.com")


def test_semicolons_are_sniffed(db_session, make_role):
    data = b"Name;Email;Stage;Applied At\nSemi Colon;semi@example.com;Interview;03.11.2026\n"
    plan = applicants.plan_csv(db_session, data, make_role(), day_first=True)
    assert (plan.delimiter, plan.rows[0].stage, plan.rows[0].applied_at.month) == (";", AppStage.interviewing, 11)


def test_missing_columns_are_named(db_session, make_role):
    with pytest.raises(BadInput, match=r"missing column\(s\): email; stage\. Columns in the file: Name, Phone"):
        applicants.plan_csv(db_session, b"Name,Phone\nA,123\n", make_role())


def test_fifty_megabytes_are_refused_before_reading(db_session, make_role):
    with pytest.raises(TooLarge, match="at most 20 MB"):
        applicants.plan_csv(db_session, b"\xff" * (50 * 1024 * 1024), make_role())


def test_binary_garbage_is_not_a_csv(db_session, make_role):
    with pytest.raises(BadInput, match="not a CSV text file"):
        applicants.plan_csv(db_session, bytes(range(256)) * 100, make_role())


def test_undecodable_bytes_get_a_clear_message():
    with pytest.raises(BadInput, match=r"neither UTF-8 nor Windows-1252 \(byte 0x81"):
        csvfile.decode(b"Name,Email\n\x81\x8d,a@example.com\n")


def test_a_formula_cell_is_kept_as_text(db_session, make_role):
    role = make_role()
    data = b'Name,Email,Stage\n"=HYPERLINK(""http://evil.example"",""x"")",f@example.com,Applied\n'
    _import(db_session, data, role)
    assert db_session.scalar(select(Candidate.name).where(Candidate.email == "f@example.com")) == (
        '=HYPERLINK("http://evil.example","x")'
    )


def test_cli_imports_a_file(runner, make_role, sample, tmp_path, db_session):
    make_role(reference="REQ-42")
    path = tmp_path / "gh.csv"
    path.write_bytes(sample("greenhouse"))
    result = runner.invoke(applicants_command, ["import", str(path), "--role", "req-42"])
    assert result.exit_code == 0 and "imported into REQ-42: 7 new, 0 updated, 0 unchanged" in result.output


def test_cli_reports_every_bad_row_and_imports_nothing(runner, make_role, tmp_path, db_session):
    make_role(reference="REQ-43")
    path = tmp_path / "bad.csv"
    path.write_text(BAD)
    result = runner.invoke(applicants_command, ["import", str(path), "--role", "REQ-43"])
    lines = re.findall(r"^line (\d+)\b", result.output, re.M)
    assert (result.exit_code, lines, db_session.scalar(select(func.count()).select_from(Application))) == (
        1,
        ["3", "4", "5"],
        0,
    )


def test_cli_refuses_fifty_megabytes(runner, make_role, tmp_path):
    make_role(reference="REQ-44")
    path = tmp_path / "big.csv"
    with path.open("wb") as f:
        f.truncate(50 * 1024 * 1024)
    result = runner.invoke(applicants_command, ["import", str(path), "--role", "REQ-44"])
    assert result.exit_code == 1 and "50.0 MB" in result.output and "at most 20 MB" in result.output
