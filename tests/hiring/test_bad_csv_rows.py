"""Bad CSV rows and dates refused with the line and the file's own column names: unclosed quotes, text that is
not a date, day/month order decided once per column, rows with too many or too few cells, UTF-16 files."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from triage.db import Application
from triage.errors import BadInput
from triage.hiring import applicants
from triage.hiring.cli import applicants_command

HEADER = "Id,Name,Email,Stage,Applied At,Source\n"
UNCLOSED_LAST = HEADER + (
    '1,Ann,ann@example.com,Applied,2026-11-01,"LinkedIn\n'
    "2,Bob,bob@example.com,Applied,2026-11-01,Web\n"
    "3,Cy,cy@example.com,Applied,2026-11-01,Web\n"
    "4,Di,di@example.com,Applied,2026-11-01,Web\n"
)


def _dates(session, role, values: list[str], column: str = "Applied At", **options) -> applicants.Plan:
    rows = "".join(f'P{i},p{i}@example.com,Applied,"{v}"\n' for i, v in enumerate(values))
    return applicants.plan_csv(session, f"Name,Email,Stage,{column}\n{rows}".encode(), role, **options)


def _days(plan: applicants.Plan) -> list[date]:
    return [row.applied_at.date() for row in plan.rows]


# --- quotes ------------------------------------------------------------------------------------------------------
def test_an_unclosed_quote_in_the_last_column_is_refused_naming_the_line_it_opens_on(db_session, make_role):
    with pytest.raises(BadInput) as caught:
        applicants.plan_csv(db_session, UNCLOSED_LAST.encode(), make_role())
    assert str(caught.value) == ("line 2: a quote in column 'Source' is never closed; rows after it would be swallowed")


def test_an_unclosed_quote_mid_row_names_the_quote_not_a_missing_email(db_session, make_role):
    data = HEADER + '1,"Ann,ann@example.com,Applied,2026-11-01,LinkedIn\n2,Bob,bob@example.com,Applied,,Web\n'
    with pytest.raises(BadInput, match=r"^line 2: a quote in column 'Name' is never closed"):
        applicants.plan_csv(db_session, data.encode(), make_role())


def test_a_quote_that_a_later_row_closes_is_named_where_it_opens(db_session, make_role):
    data = HEADER + (
        '1,Ann,ann@example.com,Applied,2026-11-01,"LinkedIn\n'
        "2,Bob,bob@example.com,Applied,2026-11-01,Web\n"
        '3,Cy,cy@example.com,Applied,2026-11-01,"Referral"\n'
    )
    with pytest.raises(BadInput, match=r"^line 2: the quoted cell in column 'Source' runs on to line 4"):
        applicants.plan_csv(db_session, data.encode(), make_role())


def test_line_breaks_inside_a_closed_quote_still_import(db_session, make_role):
    data = (
        "Name,Email,Stage,Notes\r\n"
        'Ann,ann@example.com,Applied,"first line\r\nsecond ""quoted"" line"\r\n'
        "Bob,bob@example.com,Applied,short\r\n"
    )
    plan = applicants.plan_csv(db_session, data.encode(), make_role())
    assert ([r.line for r in plan.rows], plan.errors) == ([2, 4], [])


def test_the_cli_refuses_an_unclosed_quote_and_imports_nothing(runner, make_role, tmp_path, db_session):
    make_role(reference="REQ-77")
    path = tmp_path / "unclosed.csv"
    path.write_text(UNCLOSED_LAST)
    result = runner.invoke(applicants_command, ["import", str(path), "--role", "REQ-77"])
    assert (result.exit_code, "line 2: a quote in column 'Source' is never closed" in result.output) == (1, True)
    assert db_session.scalar(select(func.count()).select_from(Application)) == 0


# --- text that is not a date ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Monday", "is not a date with a year"),
        ("March", "is not a date with a year"),
        ("1 2", "is not a date with a year"),
        ("12 Oct", "is not a date with a year"),
        ("2026", "is not a full date (a day, a month and a year)"),
        ("2026-10", "is not a full date (a day, a month and a year)"),
        ("N/A", "is not a date"),
    ],
)
def test_text_that_is_not_a_whole_date_is_refused_naming_the_files_column(db_session, make_role, text, reason):
    plan = _dates(db_session, make_role(), ["2026-11-01", "2026-11-02", text])
    assert plan.error_text() == f"line 4, column 'Applied At': {text!r} {reason}"


def test_an_interview_time_without_a_date_is_refused(db_session, make_role):
    data = b"Name,Email,Stage,Interview Date\nAnn,ann@example.com,Interview,Thursday 3pm\n"
    plan = applicants.plan_csv(db_session, data, make_role())
    assert plan.errors == [(2, "column 'Interview Date': 'Thursday 3pm' is not a date with a year")]


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2026-11-03T10:00:00Z", date(2026, 11, 3)),
        ("Nov 3, 2026 2:15 PM", date(2026, 11, 3)),
        ("3 Nov 2026", date(2026, 11, 3)),
        ("11/03/26", date(2026, 11, 3)),
        ("1762171200000", date(2025, 11, 3)),
    ],
)
def test_whole_dates_in_the_forms_exports_write_are_read(db_session, make_role, text, day):
    assert _days(_dates(db_session, make_role(), [text])) == [day]


def test_the_api_refuses_a_weekday_as_a_date(client, make_user, make_role, token_for, db_session):
    make_role(reference="REQ-78")
    items = [{"email": "a@example.com", "stage": "applied", "applied_at": "Monday"}]
    reply = client.post(
        "/api/v1/applications", json={"role": "REQ-78", "applications": items}, headers=token_for(make_user())
    )
    assert (reply.status_code, reply.json["errors"]) == (
        400,
        [{"item": 1, "error": "field 'applied_at': 'Monday' is not a date with a year"}],
    )


def test_row_errors_name_the_files_columns(db_session, make_role):
    data = b"Full Name,Email Addresses,Current Stage\nAnn,nope,Applied\nBob,bob@example.com,Napping\n"
    plan = applicants.plan_csv(db_session, data, make_role())
    assert plan.error_text().splitlines() == [
        "line 2, column 'Email Addresses': bad email 'nope'",
        "line 3, column 'Current Stage': unknown stage 'Napping'",
    ]


# --- day and month order -----------------------------------------------------------------------------------------
def test_one_date_that_can_only_be_day_first_makes_the_column_day_first(db_session, make_role):
    plan = _dates(db_session, make_role(), ["13/10/2026", "01/10/2026", "05/11/2026"])
    assert _days(plan) == [date(2026, 10, 13), date(2026, 10, 1), date(2026, 11, 5)]


def test_one_date_that_can_only_be_month_first_wins_over_the_day_first_option(db_session, make_role):
    plan = _dates(db_session, make_role(), ["10/13/2026", "01/10/2026"], day_first=True)
    assert _days(plan) == [date(2026, 10, 13), date(2026, 1, 10)]


def test_both_orders_in_one_column_are_an_error_naming_one_of_each(db_session, make_role):
    plan = _dates(db_session, make_role(), ["13/10/2026", "01/10/2026", "10/13/2026"])
    assert plan.errors == [
        (
            4,
            "column 'Applied At': '13/10/2026' (line 2) can only be day/month/year but '10/13/2026' (line 4) only "
            "month/day/year; write the column's dates in one order",
        )
    ]


@pytest.mark.parametrize(("day_first", "day"), [(False, date(2026, 1, 10)), (True, date(2026, 10, 1))])
def test_a_column_no_date_decides_follows_the_option(db_session, make_role, day_first, day):
    assert _days(_dates(db_session, make_role(), ["01/10/2026", "05/11/2026"], day_first=day_first))[0] == day


def test_the_plan_says_which_order_dates_were_read_in(db_session, make_role):
    plan = _dates(db_session, make_role(), ["01/10/2026", "13/10/2026"])
    assert plan.dates_note == (
        "dates in column 'Applied At' read as day/month/year (13/10/2026 on line 3 can only be read so)"
    )


def test_the_cli_says_which_order_dates_were_read_in(runner, make_role, tmp_path):
    make_role(reference="REQ-78")
    path = tmp_path / "dates.csv"
    path.write_text(HEADER + "1,Ann,ann@example.com,Applied,01/10/2026,x\n2,Bob,bob@example.com,Applied,13/10/2026,x\n")
    result = runner.invoke(applicants_command, ["import", str(path), "--role", "REQ-78"])
    assert (result.exit_code, "dates in column 'Applied At' read as day/month/year" in result.output) == (0, True)


def test_dotted_dates_are_day_first(db_session, make_role):
    plan = _dates(db_session, make_role(), ["01.10.2026", "13.10.2026"])
    assert _days(plan) == [date(2026, 10, 1), date(2026, 10, 13)]


# --- cells per row -----------------------------------------------------------------------------------------------
def test_a_row_with_more_cells_than_the_header_is_refused(db_session, make_role):
    data = HEADER + "1,Ann,ann@example.com,Applied,2026-11-01,Web\n2,Bob,bob@example.com,Applied,2026-11-01,Web,Ads\n"
    plan = applicants.plan_csv(db_session, data.encode(), make_role())
    assert plan.error_text() == "line 3 has 7 cells, the header has 6: a comma inside an unquoted cell?"


def test_trailing_empty_cells_are_not_an_error(db_session, make_role):
    data = HEADER + "1,Ann,ann@example.com,Applied,2026-11-01,Web,,\n"
    plan = applicants.plan_csv(db_session, data.encode(), make_role())
    assert (len(plan.rows), plan.errors) == (1, [])


def test_a_short_row_missing_only_optional_cells_is_read(db_session, make_role):
    plan = applicants.plan_csv(db_session, (HEADER + "1,Ann,ann@example.com,Applied\n").encode(), make_role())
    assert (plan.rows[0].email, plan.rows[0].source, plan.errors) == ("ann@example.com", "", [])


def test_a_short_row_missing_a_required_cell_is_refused(db_session, make_role):
    data = HEADER + "1,Ann,ann@example.com,Applied,2026-11-01,Linked\nIn\n"
    plan = applicants.plan_csv(db_session, data.encode(), make_role())
    assert plan.error_text() == "line 3 has 1 cell, the header has 6: no 'Email', 'Stage', 'Name' (a line cut in two?)"


# --- UTF-16 ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_text_is_read(db_session, make_role, codec):
    data = "Name\tEmail\tStage\nRenée Müller\trenee@example.com\tApplied\n".encode(codec)
    plan = applicants.plan_csv(db_session, data, make_role())
    assert (plan.encoding, plan.delimiter, plan.rows[0].name) == ("UTF-16", "\t", "Renée Müller")
