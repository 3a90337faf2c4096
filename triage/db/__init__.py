"""The SQLAlchemy tables, split by subject; import from here.

`models/` holds the machine-learning model, so the tables live in triage.db.
"""

from triage.db.audit import AuditEvent, Correction
from triage.db.base import Base, Database, one_of
from triage.db.enums import (
    AppStage,
    BatchState,
    Channel,
    Direction,
    Lane,
    MessageState,
    OutboxState,
    TemplateKind,
    UserRole,
)
from triage.db.history import ApplicationEvent
from triage.db.intake import MailboxCursor
from triage.db.mail import Message, Thread
from triage.db.outbound import Batch, Outbound, Suppression, Template
from triage.db.people import (
    ApiToken,
    Application,
    Candidate,
    CandidateAddress,
    JobRole,
    LoginFailure,
    Team,
    User,
    role_members,
)
from triage.db.privacy import Erasure

__all__ = [
    "Base",
    "Database",
    "one_of",
    "AppStage",
    "Channel",
    "Direction",
    "Lane",
    "MessageState",
    "OutboxState",
    "BatchState",
    "TemplateKind",
    "UserRole",
    "ApiToken",
    "Application",
    "Candidate",
    "CandidateAddress",
    "JobRole",
    "LoginFailure",
    "Team",
    "User",
    "role_members",
    "Message",
    "Thread",
    "Batch",
    "Outbound",
    "Suppression",
    "Template",
    "AuditEvent",
    "Correction",
    "MailboxCursor",
    "Erasure",
    "ApplicationEvent",
]
