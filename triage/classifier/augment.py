"""Deterministic train-time augmentation: the same message as real mail clients dress it."""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence

from triage.classifier.corpus import Example

_GREETINGS = (
    "Hi,",
    "Hello,",
    "Dear Hiring Manager,",
    "Hi Sarah,",
    "Good morning,",
    "Dear Mr. Patel,",
    "Hello team,",
    "Hey Tom,",
    "Dear Sir/Madam,",
    "Hi there,",
)
_SIGNOFFS = (
    "Best regards,\nAlex Morgan",
    "Kind regards,\nPriya Raman\n+44 7700 900123",
    "Thanks,\nJ.",
    "Many thanks\nOluwaseun Adeyemi\nlinkedin.com/in/oadeyemi",
    "Cheers,\nMarco",
    "Regards,\nWei Zhang | MSc Data Science\nwei.zhang@example.com",
    "Sincerely,\nMaría Fernández",
    "--\nDaniel Kowalski\nSenior Engineer\nPhone: (555) 013-2447",
)
_FOOTERS = (
    "Sent from my iPhone",
    "Sent from my Galaxy",
    "Get Outlook for Android",
    "Sent from Mail for Windows",
    "Sent from my iPad",
)
# Neutral recruiter-side text for quoted history: what candidates reply to.
_OUR_MESSAGES = (
    "Thank you for applying for the Data Analyst role. We will review your application and be in touch.",
    "We would like to invite you to an interview for the Software Engineer position. "
    "Please let us know your availability.",
    "Thanks again for your time last week. We are still interviewing and will update everyone by the end of the month.",
    "Please find attached our offer for the Product Designer role. Let me know if you have any questions.",
    "Could you please send the names and contact details of two referees?",
    "Unfortunately we have decided not to progress your application at this time.",
)
_OUR_SUBJECTS = (
    "Your application - Data Analyst",
    "Interview invitation",
    "Application update",
    "Next steps",
    "Offer - Product Designer",
    "Software Engineer role at Acme",
)
_GREETING_LINE = re.compile(
    r"^\s*(?:hi|hello|hey|dear|good\s+(?:morning|afternoon|evening)|"
    r"greetings)\b[^\n]{0,40}\n+",
    re.IGNORECASE,
)


def _add_greeting(rng: random.Random, subject: str, body: str) -> tuple[str, str]:
    if _GREETING_LINE.match(body):
        return subject, body
    return subject, f"{rng.choice(_GREETINGS)}\n\n{body}"


def _drop_greeting(rng: random.Random, subject: str, body: str) -> tuple[str, str]:
    return subject, _GREETING_LINE.sub("", body, count=1)


def _add_signoff(rng: random.Random, subject: str, body: str) -> tuple[str, str]:
    return subject, f"{body.rstrip()}\n\n{rng.choice(_SIGNOFFS)}"


def _add_footer(rng: random.Random, subject: str, body: str) -> tuple[str, str]:
    return subject, f"{body.rstrip()}\n\n{rng.choice(_FOOTERS)}"


def _add_history(rng: random.Random, subject: str, body: str) -> tuple[str, str]:
    ours = rng.choice(_OUR_MESSAGES)
    style = rng.randrange(3)
    if style == 0:
        quoted = "\n".join(f"> {line}" for line in ("Hi,", "", ours, "", "Sarah Jones"))
        block = f"On Tue, 4 Mar 2025 at 09:12, Sarah Jones <sarah.jones@acme.example> wrote:\n{quoted}"
    elif style == 1:
        block = (
            "-----Original Message-----\nFrom: Sarah Jones <sarah.jones@acme.example>\n"
            f"Sent: 04 March 2025 09:12\nTo: you\nSubject: {rng.choice(_OUR_SUBJECTS)}\n\n"
            f"{ours}"
        )
    else:
        block = (
            "________________________________\nFrom: Talent Team\n"
            f"Sent: Tuesday, March 4, 2025 9:12 AM\nSubject: {rng.choice(_OUR_SUBJECTS)}"
            f"\n\n{ours}"
        )
    return subject, f"{body.rstrip()}\n\n{block}"


def _typos(rng: random.Random, subject: str, body: str) -> tuple[str, str]:
    words = body.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    for i in rng.sample(candidates, k=min(len(candidates), rng.randint(1, 3))):
        w = words[i]
        j = rng.randrange(1, len(w) - 2)
        # Swap two neighbours or drop one letter: the two commonest typing slips.
        words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :] if rng.random() < 0.5 else w[:j] + w[j + 1 :]
    return subject, " ".join(words)


def _lowercase(rng: random.Random, subject: str, body: str) -> tuple[str, str]:
    return subject.lower(), body.lower()


def _no_subject(rng: random.Random, subject: str, body: str) -> tuple[str, str]:
    return "", body


def _reply_subject(rng: random.Random, subject: str, body: str) -> tuple[str, str]:
    return f"Re: {rng.choice(_OUR_SUBJECTS)}", body


TRANSFORMS: dict[str, Callable[[random.Random, str, str], tuple[str, str]]] = {
    "add_greeting": _add_greeting,
    "drop_greeting": _drop_greeting,
    "add_signoff": _add_signoff,
    "add_mobile_footer": _add_footer,
    "add_quoted_history": _add_history,
    "typos": _typos,
    "lowercase": _lowercase,
    "no_subject": _no_subject,
    "reply_subject": _reply_subject,
}


def augment(
    examples: Sequence[Example], seed: int, copies: int = 2, real_copies: int | None = None
) -> list[tuple[Example, int]]:
    """Return (example, group) pairs: each original (group = its index) plus `copies` variants.

    Real messages (source "realmail:...") get `real_copies` variants instead: there are few of
    them, and they are the voice the model must learn; the variants weigh them up without
    repeating one text verbatim (a twin stays in its original's group, on one side of a split).
    """
    rng = random.Random(seed)
    names = sorted(TRANSFORMS)
    out: list[tuple[Example, int]] = []
    for group, example in enumerate(examples):
        out.append((example, group))
        n = real_copies if real_copies is not None and example.source.startswith("realmail:") else copies
        for _ in range(n):
            subject, body = example.subject, example.body
            for name in rng.sample(names, k=rng.randint(1, 2)):
                subject, body = TRANSFORMS[name](rng, subject, body)
            out.append((example._replace(subject=subject, body=body), group))
    return out
