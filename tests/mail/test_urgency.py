"""Urgency cues: competing offers, exploding deadlines, dates to decide by -- and what is not one."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from triage.mail import urgency

MONDAY = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)  # Mon 7 Dec 2026

URGENT = [
    # (text, kind, deadline or None) -- several voices: formal, warm, blunt, apologetic, terse, non-native
    ("I have another offer and need to give them an answer by next Friday.", "competing offer", date(2026, 12, 18)),
    ("Quick heads-up: I've received another offer, which expires on Friday.", "competing offer", date(2026, 12, 11)),
    (
        "I hate to rush you, but another company has made me an offer and they want an answer by 11 December.",
        "competing offer",
        date(2026, 12, 11),
    ),
    (
        "Dear Ms Patel, I wish to inform you that I have received a competing offer. I would be grateful for an "
        "indication of your timeline.",
        "competing offer",
        None,
    ),
    ("no pressure at all, but there is a second offer on my desk til thursday", "competing offer", date(2026, 12, 10)),
    ("Sorry to be a pain!! got another job offer, deadline is Wed", "competing offer", date(2026, 12, 9)),
    ("Need answer by Fri, other offer on the table.", "competing offer", date(2026, 12, 11)),
    ("I am holding an offer from Globex and would love to hear from you first.", "competing offer", None),
    ("I have two other offers and must decide this week.", "competing offer", date(2026, 12, 11)),
    (
        "I'm close to the point when I need to accept an offer; is your role still a possibility?",
        "competing offer",
        None,
    ),
    (
        "My other interview process is in its final stage and I expect clarity by the end of next week.",
        "competing offer",
        date(2026, 12, 18),
    ),
    ("The offer I hold is an exploding offer: 48 hours.", "deadline", None),
    ("Kindly note I will have to make my final decision by the end of this week.", "deadline", date(2026, 12, 11)),
    ("I must respond by tomorrow, so any news would help.", "deadline", date(2026, 12, 8)),
    ("Would it be possible to extend the deadline to Friday, January 8th?", "deadline", date(2027, 1, 8)),
    ("My current contract expires on 31 December and I need to plan.", "deadline", date(2026, 12, 31)),
    ("Respectfully, I need an answer by December 15th.", "deadline", date(2026, 12, 15)),
    # other languages of the team's mail
    ("Bonjour, j'ai reçu une autre offre et je dois donner ma réponse avant vendredi.", "competing offer", None),
    ("Guten Tag, ich habe ein anderes Angebot und muss mich bis Freitag entscheiden.", "competing offer", None),
    ("Hola, tengo otra oferta y tengo que decidir antes del viernes.", "competing offer", None),
    ("Olá, recebi outra proposta e preciso responder até sexta.", "competing offer", None),
    ("Hallo, ik heb een ander aanbod gekregen en moet voor vrijdag beslissen.", "competing offer", None),
    ("Ich muss mich bis zum 11. Dezember entscheiden.", "deadline", date(2026, 12, 11)),
]

NOT_URGENT = [
    "Any update on my application? I applied three weeks ago.",
    "I have accepted another offer and would like to withdraw my application.",
    "Thank you for the offer! I'm delighted to accept.",
    "I'm very excited to have the interview offer from you; either Tuesday or Thursday works.",
    "As the hiring deadline you gave me has passed, might I inquire about the status?",
    "Could you share feedback on why I was not selected?",
    "I am writing to withdraw: I have taken another offer elsewhere.",
    "Is there flexibility on the base salary in your offer?",
    "Please find attached my references, as requested.",
    "I have to cancel my interview; I accepted a job offer from another company with a deadline on Friday.",
    "Here is my solution to the take-home assignment. Looking forward to your feedback.",
    "Did you get my last email?",
    "Hi [Name], following up on my application for ${app.role}.",
]


@pytest.mark.parametrize(("text", "kind", "deadline"), URGENT)
def test_urgent_phrasings_are_found_with_their_date(text, kind, deadline):
    found = urgency.detect("", text, MONDAY)
    assert found is not None, text
    assert found.kind == kind
    if deadline is not None:
        assert found.deadline == deadline


@pytest.mark.parametrize("text", NOT_URGENT)
def test_other_mail_is_not_urgent(text):
    assert urgency.detect("Re: your application", text, MONDAY) is None


def test_reason_names_the_offer_and_the_deadline():
    found = urgency.detect("", "I have another offer and need to answer them by Friday.", MONDAY)
    assert found.reason == "mentions a competing offer with a deadline of Fri 11 Dec"


def test_reason_names_the_year_when_it_differs():
    found = urgency.detect("", "Would it be possible to extend the deadline to 8 January?", MONDAY)
    assert found.reason == "mentions a deadline to decide with a deadline of Fri 8 Jan 2027"


def test_reason_quotes_the_cue_when_there_is_no_date():
    found = urgency.detect("", "I am holding an offer from Globex.", MONDAY)
    assert found.reason == 'mentions a competing offer ("holding an offer from Globex")'


def test_without_a_message_date_the_deadline_is_quoted_as_written():
    found = urgency.detect("", "another offer, deadline next Friday", None)
    assert found.deadline is None
    assert found.reason == 'mentions a competing offer with a deadline of "next Friday"'


def test_the_subject_counts():
    assert urgency.detect("Competing offer - need an answer by Friday", "Hi, see subject.", MONDAY) is not None


def test_a_cue_written_with_a_dotted_capital_i_is_still_found():
    # re.IGNORECASE matches "İ" to i; the cheap keyword gate before the patterns must let it through.
    found = urgency.detect(None, "My other interview process is in its f\u0130nal stage.", MONDAY)
    assert found is not None and found.kind == "competing offer"


def test_a_message_without_any_cue_word_is_not_urgent():
    assert urgency.detect("Any update?", "Hi, is there any news on my application? Thanks, Ada", MONDAY) is None
