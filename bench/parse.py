"""Throughput of the whole `triage parse` step (parse + unwrap + strip) on one core, beside the peers.

Corpus, "typical 3-10 KB candidate mail": every reply and forward fixture in ../shared/fixtures
(crisp, quotequail, email_reply_parser, mail-parser-reply, talon plain and HTML) made into the
message a mailbox actually receives: the trace and authentication headers a large provider adds
(Received, DKIM, ARC, Authentication-Results: most of a short mail's size), a quoted-printable
UTF-8 text part and, for two thirds, an HTML alternative; the .eml fixtures as they are. Only
messages of 3-10 KB are kept. Messages are built once, before timing.

Triage runs `triage parse`'s own function (describe_bytes: MIME, forwards, quotes, signature,
auto-reply, threading). Each peer gets the same bytes and does the least a caller of it must:
the stdlib parser with compat32 (its fastest policy), the first text/plain part decoded, then
the peer's reply extraction. Peers are timed only where importable (the comparison venv):
    python3 -m venv /work/main/.venv-compare
    /work/main/.venv-compare/bin/pip install -e /work/main email-reply-parser mail-parser-reply quotequail talon

Run:  .venv-compare/bin/python bench/parse.py [FIXTURES_DIR] [--profile]
      .venv/bin/python bench/parse.py --dates   (forward headers' localized dates: coverage and cost)
The last line sums up.
"""

from __future__ import annotations

import email
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

from triage.mail.report import describe_bytes

warnings.filterwarnings("ignore")
ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
FIXTURES = Path(ARGS[0]) if ARGS else Path(__file__).resolve().parents[2] / "shared" / "fixtures"
SMALLEST, LARGEST = 3 * 1024, 10 * 1024
PASSES = 7


def _folded(signature: str) -> str:
    """Base64 as signers write it: in pieces with folding whitespace between them."""
    return " ".join(signature[i : i + 64] for i in range(0, len(signature), 64))


# What a large provider adds on the way in (values shaped like the real ones, contents invented).
TRACE = [
    ("Return-Path", "<candidate{n}@example.com>"),
    (
        "Received",
        "from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41]) by mx.agency.example "
        "with SMTPS id a640c23a62f3a-{n}sor.2025.06.03.01.15.00 for <jobs@agency.example> "
        "(Google Transport Security); Tue, 03 Jun 2025 01:15:00 -0700 (PDT)",
    ),
    (
        "Received-SPF",
        "pass (google.com: domain of candidate{n}@example.com designates 209.85.220.41 as "
        "permitted sender) client-ip=209.85.220.41;",
    ),
    (
        "Authentication-Results",
        "mx.agency.example; dkim=pass header.i=@example.com header.s=20230601 "
        "header.b=Qm9ndXM{n}; spf=pass (google.com: domain of candidate{n}@example.com "
        "designates 209.85.220.41 as permitted sender) smtp.mailfrom=candidate{n}@example.com;"
        " dmarc=pass (p=NONE sp=QUARANTINE dis=NONE) header.from=example.com",
    ),
    (
        "ARC-Seal",
        "i=1; a=rsa-sha256; t=1748938500; cv=none; d=google.com; s=arc-20240605; b=" + _folded("kLmN0pQrStUvWxYz" * 22),
    ),
    (
        "ARC-Message-Signature",
        "i=1; a=rsa-sha256; c=relaxed/relaxed; d=google.com; s=arc-20240605; "
        "h=to:subject:message-id:date:from:in-reply-to:references:mime-version:"
        "dkim-signature; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; "
        "b=" + _folded("AbCdEfGhIjKlMnOp" * 22),
    ),
    (
        "ARC-Authentication-Results",
        "i=1; mx.google.com; dkim=pass header.i=@example.com; spf=pass "
        "smtp.mailfrom=candidate{n}@example.com; dmarc=pass header.from=example.com",
    ),
    (
        "DKIM-Signature",
        "v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=20230601; t=1748938500; "
        "x=1749543300; h=to:subject:message-id:date:from:in-reply-to:references:mime-version:"
        "from:to:cc:subject:date:message-id:reply-to; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;"
        " b=" + "ZyXwVuTsRqPoNmLk" * 22,
    ),
    (
        "X-Google-DKIM-Signature",
        "v=1; a=rsa-sha256; c=relaxed/relaxed; d=1e100.net; s=20230601; b=" + _folded("QwErTyUiOpAsDfGh" * 22),
    ),
    ("X-Gm-Message-State", "AOJu0Yx" + "a1B2c3D4e5F6g7H8" * 5),
    ("X-Google-Smtp-Source", "AGHT+IF" + "z9Y8x7W6v5U4t3S2" * 5),
    (
        "X-Received",
        "by 2002:a17:907:7d8a:b0:ad8:9b5d:1234 with SMTP id oz10-{n}ejc.1; Tue, 03 Jun 2025 01:15:00 -0700 (PDT)",
    ),
]


def _wrap(n: int, body: str, html: bool) -> bytes:
    msg = EmailMessage()
    for name, value in TRACE:
        msg[name] = value.format(n=n)
    msg["From"] = f"Candidate {n} <candidate{n}@example.com>"
    msg["To"] = "jobs@agency.example"
    msg["Subject"] = f"Re: Application for role {n % 50}"
    msg["Date"] = "Tue, 3 Jun 2025 10:15:00 +0200"
    msg["Message-ID"] = f"<m{n}@example.com>"
    msg["In-Reply-To"] = f"<r{n}@agency.example>"
    msg["References"] = f"<r{n}@agency.example>"
    if body.lstrip().startswith("<"):
        msg.set_content(body, subtype="html", cte="quoted-printable")
    else:
        msg.set_content(body, cte="quoted-printable")
        if html:
            paragraphs = "".join(f'<div dir="ltr">{p.replace(chr(10), "<br>")}</div>' for p in body.split("\n\n"))
            msg.add_alternative(f"<html><body>{paragraphs}</body></html>", subtype="html")
    return msg.as_bytes(policy=SMTP)


def corpus() -> list[bytes]:
    """The benchmark messages (3-10 KB), as raw bytes."""
    out: list[bytes] = []
    for n, path in enumerate(sorted(FIXTURES.glob("*/*/*"))):
        if path.suffix == ".eml":
            raw = path.read_bytes()
        elif path.suffix in (".txt", ".html") and path.parent.parent.name in ("replies", "forwarded"):
            raw = _wrap(n, path.read_bytes().decode("utf-8", "replace"), html=n % 3 != 0)
        else:
            continue
        if SMALLEST <= len(raw) <= LARGEST:
            out.append(raw)
    return out


def _first_text(raw: bytes) -> str:
    """What a peer's caller must do first: the stdlib's fastest parse, the first text/plain part."""
    msg = email.message_from_bytes(raw)
    for part in msg.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True) or b""
            return payload.decode(part.get_content_charset() or "utf-8", "replace")
    return ""


def peers() -> dict[str, Callable[[bytes], object]]:
    found: dict[str, Callable[[bytes], object]] = {}
    try:
        from email_reply_parser import EmailReplyParser as Erp

        found["email-reply-parser"] = lambda raw: Erp.parse_reply(_first_text(raw))
    except ImportError:
        pass
    try:
        from mailparser_reply import EmailReplyParser as Mpr

        mpr = Mpr(languages=["en"])
        found["mail-parser-reply"] = lambda raw: mpr.read(_first_text(raw))
    except ImportError:
        pass
    try:
        from talon import quotations

        found["talon"] = lambda raw: quotations.extract_from_plain(_first_text(raw))
    except ImportError:
        pass
    try:
        import quotequail

        found["quotequail"] = lambda raw: quotequail.quote(_first_text(raw), quote_intro_line=True)
    except ImportError:
        pass
    return found


def rate(step: Callable[[bytes], object], messages: list[bytes]) -> float:
    """Messages per second of CPU time for one pass of `step` over the corpus (one core)."""
    started = time.process_time()
    for raw in messages:
        step(raw)
    return len(messages) / (time.process_time() - started)


def printed_dates() -> None:
    """--dates: how many crisp forwards get their original's date, and what reading one costs."""
    import email.utils
    import json

    from dateutil import parser as date_parser

    from triage.mail import printed_dates as pd
    from triage.mail.forwarded import unwrap_text

    base = FIXTURES / "forwarded" / "crisp-email-forward-parser"
    expected = json.loads((base / "expected.json").read_text(encoding="utf-8"))
    found: list[str | None] = []
    for name, case in sorted(expected.items()):
        if not case.get("forwarded"):
            continue
        subject_file = case.get("input_subject_file")
        subject = (base / subject_file).read_bytes().decode("utf-8") if subject_file else None
        forward = unwrap_text((base / f"{name}.txt").read_bytes().decode("utf-8"), subject)
        found.append(forward.date if forward else None)

    def before(text: str | None) -> bool:  # what `triage parse` did before printed_dates
        if not text:
            return False
        for read in (email.utils.parsedate_to_datetime, lambda t: date_parser.parse(t, fuzzy=True)):
            try:
                read(text)
                return True
            except Exception:  # noqa: BLE001 - any failure means "no date"
                continue
        return False

    old = sum(1 for text in found if before(text))
    times = []
    for _ in range(3):
        pd._read_localized.cache_clear()  # cold: every date read as if first seen
        started = time.perf_counter()
        new = sum(1 for text in found if pd.read_date(text) is not None)
        times.append((time.perf_counter() - started) / len(found) * 1000)
    print(
        f"printed dates: {new} of {len(found)} crisp forwards get their original date (before: {old}); "
        f"{statistics.median(times):.1f} ms per date, uncached, median of 3 passes, 1 core"
    )


def main() -> None:
    if "--dates" in sys.argv:
        printed_dates()
        return
    messages = corpus()
    sizes = sorted(len(m) for m in messages)
    print(
        f"{len(messages)} messages of 3-10 KB, median {sizes[len(sizes) // 2]:,} bytes, {sum(sizes) // 1024} KB in all"
    )
    if "--profile" in sys.argv:
        import cProfile
        import pstats

        cProfile.runctx("rate(describe_bytes, messages)", globals(), {"messages": messages}, "/tmp/parse.prof")
        pstats.Stats("/tmp/parse.prof").sort_stats("cumulative").print_stats(35)
        return
    tools = {"triage": describe_bytes, **peers()}
    for step in tools.values():
        rate(step, messages[:50])  # warm up imports and regex caches
    # Round robin, so that a slow spell of a shared machine falls on every tool alike; the best
    # pass of each (as timeit reports) is its speed when nothing else got in the way.
    runs: dict[str, list[float]] = {name: [] for name in tools}
    for _ in range(PASSES):
        for name, step in tools.items():
            runs[name].append(rate(step, messages))
    best = {name: max(values) for name, values in runs.items()}
    for name, values in runs.items():
        print(
            f"{name}: best {best[name]:,.0f} msg/s, median {statistics.median(values):,.0f} "
            f"(passes {', '.join(f'{r:,.0f}' for r in values)})",
            flush=True,
        )
    others = [f"{name} {value:,.0f}" for name, value in best.items() if name != "triage"]
    margin = min((best["triage"] / v for n, v in best.items() if n != "triage"), default=None)
    compared = (
        (
            f"; peers (stdlib compat32 parse + first text part + their extraction): {', '.join(others)}; "
            f"triage {margin:.2f}x the fastest peer"
        )
        if others
        else "; no peers importable"
    )
    print(
        f"parse: {best['triage']:,.0f} msg/s parse + unwrap + strip, {len(messages)} messages of 3-10 KB "
        f"(median {sizes[len(sizes) // 2]:,} bytes), CPU time, best of {PASSES} interleaved passes, 1 core"
        f"{compared}"
    )


if __name__ == "__main__":
    main()
