"""Demo traffic: the mail a recruiter really gets over 4–6 weeks, as raw MIME with its date."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from triage.db import AppStage
from triage.demo.people import Applicant
from triage.outbound import mime

TEXTS = {
    "thank_you": [
        "Hi,\n\nThank you for taking the time to talk with me about the {role} position today. I enjoyed "
        "hearing about the team's plans and I'm even more excited about the role.\n\nBest regards,\n{name}",
        "Dear hiring team,\n\nJust a short note to say thanks for the interview yesterday. It was great "
        "to meet everyone.\n\nKind regards,\n{name}",
        "thanks again for today, really enjoyed the conversation!\n\n{first}",
    ],
    "status_check": [
        "Hi,\n\nI hope you're well. I interviewed for the {role} role and wanted to ask if there is any "
        "update on the decision?\n\nThanks,\n{name}",
        "Hello, just following up on my application for {role} ({ref}). Has a decision been made yet?\n\n{first}",
        "Hi again - following up once more on the {role} position. Any news?\n\nSent from my iPhone",
        "Dear recruiter,\n\nI applied for {role} a few weeks ago and have not heard back. Could you let "
        "me know where my application stands?\n\nRegards,\n{name}",
    ],
    "feedback_request": [
        "Hi,\n\nThank you for letting me know about your decision on the {role} role. I was disappointed, "
        "but I would really appreciate any feedback on my interview so I can improve.\n\nBest,\n{name}",
        "Hello,\n\nSorry to hear I wasn't selected for {ref}. Could you share what I could have done "
        "better?\n\nThanks,\n{first}",
    ],
    "scheduling": [
        "Hi,\n\nUnfortunately something came up on Thursday. Would it be possible to move my interview "
        "for {role} to Friday morning instead?\n\nApologies,\n{name}",
        "Hello, could you send me the video link for tomorrow's interview? I can't find it in my inbox.\n\n{first}",
    ],
    "withdrawal": [
        "Dear team,\n\nI'm writing to let you know that I have accepted another offer and would like to "
        "withdraw my application for {role}. Thank you for your time and I'm sorry for any "
        "inconvenience.\n\nBest wishes,\n{name}",
    ],
    "offer_negotiation": [
        "Hi,\n\nThank you so much for the offer for {role}! I'm very excited. Before I sign, is there "
        "any flexibility on the base salary? Given my experience I was hoping for something closer to "
        "the top of the band.\n\nBest,\n{name}",
        "Hello,\n\nThanks for the offer. Could I have until Monday to decide? I'd like to talk it over "
        "with my family.\n\n{name}",
    ],
    "offer_response": [
        "Hi,\n\nI'm delighted to accept the offer for the {role} position. Please find the signed letter "
        "attached.\n\nLooking forward to starting,\n{name}",
    ],
}

OUT_OF_OFFICE = (
    "Thank you for your email. I am out of the office until {back} with limited access "
    "to email. I will reply when I return."
)


@dataclass
class Mail:
    raw: bytes
    received_at: datetime


def _message(sender: str, name: str, to: str, subject: str, body: str, when: datetime, **headers: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"{name} <{sender}>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = make_msgid(domain=sender.split("@")[1])
    for key, value in headers.items():
        msg[key.replace("_", "-")] = value
    msg.set_content(body)
    return msg


def _forward(inner: EmailMessage, manager: str, when: datetime, style: str) -> EmailMessage:
    """A line manager forwarding a candidate's mail from Gmail or Outlook."""
    body = inner.get_content()
    if style == "gmail":
        text = (
            f"FYI - this came to me directly.\n\n---------- Forwarded message ---------\n"
            f"From: {inner['From']}\nDate: {inner['Date']}\nSubject: {inner['Subject']}\n"
            f"To: {manager}\n\n{body}"
        )
    else:
        text = (
            f"Please handle.\n\n________________________________\nFrom: {inner['From']}\n"
            f"Sent: {inner['Date']}\nTo: {manager}\nSubject: {inner['Subject']}\n\n{body}"
        )
    manager_name = manager.split("@")[0].replace(".", " ").title()
    return _message(manager, manager_name, "jobs@triage.localhost", f"Fwd: {inner['Subject']}", text, when)


def generate(
    applicants: list[Applicant], managers: dict[str, str], rng: random.Random, now: datetime, inbound: str
) -> list[Mail]:
    """All the demo's inbound mail, oldest first."""
    mails: list[Mail] = []

    def add(
        person: Applicant, intent: str, when: datetime, subject: str | None = None, text: str = "", **headers
    ) -> None:
        # Whole seconds: the Date header holds no more, and the time intake records is the header's.
        when = when.replace(microsecond=0)
        if when > now:
            return
        body = (text or rng.choice(TEXTS[intent])).format(
            role=person.role_title, ref=person.role_reference, name=person.name, first=person.name.split()[0]
        )
        subject = subject or rng.choice(
            [
                f"{person.role_title} application",
                f"Re: {person.role_title} ({person.role_reference})",
                f"{person.role_reference} - {person.name}",
            ]
        )
        msg = _message(person.email, person.name, inbound, subject, body, when, **headers)
        manager = managers.get(person.role_reference)
        if manager and not headers and rng.random() < 0.06:  # an answer to our email comes to us
            # Received when the manager forwarded it (the forward's Date), never after now.
            when = min(now, when + timedelta(minutes=rng.randint(5, 300))).replace(microsecond=0)
            msg = _forward(msg, manager, when, rng.choice(["gmail", "outlook"]))
        mails.append(Mail(bytes(msg), when))

    for person in applicants:
        if person.interview_at and rng.random() < 0.7:
            add(person, "thank_you", person.interview_at + timedelta(hours=rng.randint(2, 20)))
        if person.stage in (AppStage.interviewed, AppStage.applied, AppStage.screening) and rng.random() < 0.2:
            start = (person.interview_at or person.applied_at) + timedelta(days=rng.randint(5, 10))
            while start < now:  # a weekly chaser
                add(person, "status_check", start)
                start += timedelta(days=rng.randint(6, 9))
        if person.rejected_at and rng.random() < 0.45:
            add(person, "feedback_request", person.rejected_at + timedelta(hours=rng.randint(3, 60)))
        if person.request is not None:  # the answer to our request (triage.demo.past), threaded under it
            request = person.request
            add(
                person,
                "info_response",
                now - timedelta(hours=rng.randint(1, 120)),
                subject=mime.reply_subject(request.subject),
                text=request.answer,
                In_Reply_To=request.message_id,
                References=request.message_id,
            )
        if person.stage == AppStage.interviewing and rng.random() < 0.3:
            add(person, "scheduling", now - timedelta(hours=rng.randint(2, 72)))
        if person.stage == AppStage.offer:
            add(person, rng.choice(["offer_negotiation", "offer_response"]), now - timedelta(hours=rng.randint(3, 40)))
        if person.stage == AppStage.withdrawn:
            add(person, "withdrawal", person.applied_at + timedelta(days=rng.randint(5, 15)))
        if rng.random() < 0.03:  # an out-of-office reply to one of our updates
            when = (now - timedelta(days=rng.randint(1, 20))).replace(microsecond=0)
            msg = _message(
                person.email,
                person.name,
                inbound,
                f"Automatic reply: {person.role_title}",
                OUT_OF_OFFICE.format(back=(when + timedelta(days=7)).strftime("%d %B")),
                when,
                Auto_Submitted="auto-replied",
            )
            mails.append(Mail(bytes(msg), when))
    mails.sort(key=lambda m: m.received_at)
    return mails
