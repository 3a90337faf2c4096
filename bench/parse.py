"""Throughput of the whole `triage parse` step (parse + unwrap + strip) on one core.

Corpus: every reply and forward fixture in ../shared/fixtures (crisp, quotequail, email_reply_parser,
mail-parser-reply, talon plain and HTML) wrapped as a complete message the way a candidate's mail
arrives: RFC 5322 headers, quoted-printable UTF-8 text, and an HTML alternative for a third of them;
the .eml fixtures are used as they are. Messages are built once, before timing.

Run:  .venv/bin/python bench/parse.py [FIXTURES_DIR] [--profile]
"""
from __future__ import annotations

import statistics
import sys
import time
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

from triage.mail.report import describe_bytes

ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
FIXTURES = Path(ARGS[0]) if ARGS else Path(__file__).resolve().parents[2] / "shared" / "fixtures"


def _wrap(n: int, body: str, html: bool) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Candidate {n} <candidate{n}@example.com>"
    msg["To"] = "jobs@agency.example"
    msg["Subject"] = f"Re: Application for role {n % 50}"
    msg["Date"] = "Tue, 3 Jun 2025 10:15:00 +0200"
    msg["Message-ID"] = f"<m{n}@example.com>"
    msg["In-Reply-To"] = f"<r{n}@agency.example>"
    if html and not body.lstrip().startswith("<"):
        msg.set_content(body, cte="quoted-printable")
        paragraphs = "".join(f"<p>{p}</p>" for p in body.split("\n\n"))
        msg.add_alternative(f"<html><body>{paragraphs}</body></html>", subtype="html")
    elif body.lstrip().startswith("<"):
        msg.set_content(body, subtype="html", cte="quoted-printable")
    else:
        msg.set_content(body, cte="quoted-printable")
    return msg.as_bytes(policy=SMTP)


def corpus() -> list[bytes]:
    """The benchmark messages, as raw bytes."""
    out: list[bytes] = []
    for path in sorted(FIXTURES.glob("*/*/*")):
        if path.suffix == ".eml":
            out.append(path.read_bytes())
        elif path.suffix in (".txt", ".html") and path.parent.parent.name in ("replies", "forwarded"):
            text = path.read_bytes().decode("utf-8", "replace")
            if len(text) < 200_000:  # the 750 KB stress quote is not "typical mail"
                out.append(_wrap(len(out), text, html=len(out) % 3 == 0))
    return out


def rate(messages: list[bytes]) -> float:
    """Messages per second for one pass of describe_bytes over the corpus."""
    started = time.perf_counter()
    for raw in messages:
        describe_bytes(raw)
    return len(messages) / (time.perf_counter() - started)


def main() -> None:
    messages = corpus()
    sizes = sorted(len(m) for m in messages)
    print(f"{len(messages)} messages, median {sizes[len(sizes) // 2]} bytes, {sum(sizes) // 1024} KB in all")
    if "--profile" in sys.argv:
        import cProfile
        import pstats

        cProfile.runctx("rate(messages)", globals(), {"messages": messages}, "/tmp/parse.prof")
        pstats.Stats("/tmp/parse.prof").sort_stats("cumulative").print_stats(35)
        return
    rate(messages[:50])  # warm up imports and regex caches
    runs = [rate(messages) for _ in range(3)]
    print("runs: " + ", ".join(f"{r:,.0f}" for r in runs))
    print(f"parse: {statistics.median(runs):,.0f} msg/s, describe on shared reply+forward fixtures "
          f"({len(messages)} msgs), median of 3, 1 core")


if __name__ == "__main__":
    main()
