"""`triage parse FILE... [--json]`: what the mail pipeline makes of raw .eml files."""

from __future__ import annotations

import json

import click

from triage.mail.report import describe


def _summary(info: dict) -> str:
    if "error" in info:
        return f"{info['file']}: ERROR {info['error']}"
    sender = info["original_from"]["address"] or info["original_from"]["name"] or "?"
    flags = ",".join(f for f in ("forwarded", "auto_reply") if info[f]) or "-"
    reply = " ".join((info["reply_text"] or "").split())[:60]
    return f"{info['file']}: from={sender} subject={info['original_subject']!r} [{flags}] {reply!r}"


@click.command("parse")
@click.argument("files", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def parse_command(files: tuple[str, ...], as_json: bool) -> None:
    """Parse raw emails and print, one line per file, what triage reads from them."""
    for path in files:
        info = describe(path)
        click.echo(json.dumps(info, ensure_ascii=False) if as_json else _summary(info))
