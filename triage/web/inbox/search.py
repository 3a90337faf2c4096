"""Search: PostgreSQL full-text search over a message and its candidate; ILIKE on other databases."""

from __future__ import annotations

import re

from sqlalchemy import false, func, literal_column, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from triage.db import Candidate, Message

# What a message and a candidate are found by. The GIN indexes ix_messages_search and
# ix_candidates_search are built over exactly these expressions (with `{t}` empty): the constants
# are written into the SQL, not bound, so the planner can match a query to the index. The body is
# capped because a tsvector holds at most 1 MB and an index expression that raised would refuse
# the row at intake.
MESSAGE_DOCUMENT = (
    "to_tsvector('simple'::regconfig, coalesce({t}subject, '') || ' ' || "
    "left(coalesce({t}body_text, ''), 100000) || ' ' || "
    "coalesce({t}original_from_name, '') || ' ' || coalesce({t}original_from_address, ''))"
)
CANDIDATE_DOCUMENT = "to_tsvector('simple'::regconfig, coalesce({t}name, '') || ' ' || {t}email)"
MAX_WORDS = 8
# Letters, digits and the joiners of addresses and hyphenated names; anything else separates
# words, which also keeps tsquery syntax (& | ! : ' \ ( )) out of the query.
_WORD = re.compile(r"[\w@.+-]+")


def tsquery(q: str) -> str | None:
    """Every word of `q` as a required prefix ('portf' finds Portfolio); None when no words."""
    words = [w.strip(".+-") for w in _WORD.findall(q)]
    words = [w for w in words if w][:MAX_WORDS]
    return " & ".join(f"'{w}':*" for w in words) or None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def matches(session: Session, q: str) -> ColumnElement[bool]:
    """A WHERE clause on messages: full-text on PostgreSQL, substring (ILIKE) elsewhere."""
    if session.get_bind().dialect.name == "postgresql":
        return _full_text(q)
    return _substring(q)


def _full_text(q: str) -> ColumnElement[bool]:
    query = tsquery(q)
    if query is None:
        return false()
    ts = func.to_tsquery(literal_column("'simple'::regconfig"), query)
    in_message = literal_column(MESSAGE_DOCUMENT.format(t="messages.")).bool_op("@@")(ts)
    in_candidate = literal_column(CANDIDATE_DOCUMENT.format(t="candidates.")).bool_op("@@")(ts)
    # `= ANY(ARRAY(subquery))` rather than `IN (subquery)`: the array is computed once, so the
    # planner can OR a bitmap of the candidate index with the text index instead of filtering
    # every message row.
    ids = func.array(select(Candidate.id).where(in_candidate).scalar_subquery())
    return or_(in_message, Message.candidate_id == func.any(ids))


def _substring(q: str) -> ColumnElement[bool]:
    pattern = f"%{_escape_like(q)}%"
    candidates = select(Candidate.id).where(
        or_(Candidate.name.ilike(pattern, escape="\\"), Candidate.email.ilike(pattern, escape="\\"))
    )
    return or_(
        Message.subject.ilike(pattern, escape="\\"),
        Message.body_text.ilike(pattern, escape="\\"),
        Message.original_from_address.ilike(pattern, escape="\\"),
        Message.original_from_name.ilike(pattern, escape="\\"),
        Message.candidate_id.in_(candidates),
    )
