"""`triage classify`: the model the workers use (or the one the options name) on JSON lines from stdin.

`load_model` and MODELS_DIR are also what `triage eval` and `triage train` start from (cli_eval, cli).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

import click

from triage import ROOT, classifier, config
from triage.classifier.costs import MUST_ANSWER
from triage.errors import TriageError
from triage.mail import urgency
from triage.mail.quotes import reply_text

MODELS_DIR = ROOT / "models"
BATCH = 1000


def load_model(model: str | None, models_dir: Path | None) -> classifier.IntentModel:
    """The model the workers use (settings, var/models/ACTIVE), unless the options name another."""
    try:
        settings = config.load()
        settings = replace(
            settings, models_dir=models_dir or settings.models_dir, model_name=model or settings.model_name
        )
        return classifier.load_active(settings)
    except TriageError as exc:
        raise click.ClickException(str(exc)) from exc


def model_options(command):
    """--model and --models-dir: which model a command uses (load_model's two arguments)."""
    command = click.option(
        "--models-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Folder of shipped models (default: TRIAGE_MODELS_DIR, else models/).",
    )(command)
    return click.option(
        "--model", default=None, help="Model file or name (default: the active one, as the workers use it)."
    )(command)


def _read_requests(stream: IO[str]) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """Yield (line number, request) or (line number, error text) for each non-blank line."""
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, f"line {number}: not JSON ({exc.msg})"
            continue
        if not isinstance(row, dict):
            yield number, f"line {number}: expected a JSON object"
        elif not isinstance(row.get("subject", ""), (str, type(None))) or not isinstance(
            row.get("body", ""), (str, type(None))
        ):
            yield number, f"line {number}: subject and body must be strings"
        else:
            yield number, row


def _flush(loaded: classifier.IntentModel, batch: list[dict[str, Any] | str], as_json: bool) -> None:
    requests = [r for r in batch if isinstance(r, dict)]
    # A model trained before the cost rule has no must-answer threshold: 1.0 never fires.
    must_threshold = float(loaded.meta.get("must_answer_threshold", 1.0))
    predictions = iter(classifier.predict(loaded, [(r.get("subject") or "", r.get("body") or "") for r in requests]))
    for request in batch:
        if isinstance(request, str):
            # Bad input is never dropped silently: it gets its own line, in order.
            click.echo(json.dumps({"id": None, "error": request}) if as_json else f"-\terror\t{request}")
            continue
        p = next(predictions)
        subject, body = request.get("subject") or "", request.get("body") or ""
        # The same cue routing reads (quoted history excluded): a competing offer or a decision
        # deadline sends a message to Today whatever its intent, so it owes an answer here too.
        urgent = urgency.detect(subject, reply_text(body))
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "id": request.get("id"),
                        "intent": p.intent,
                        "confidence": round(p.confidence, 4),
                        "low_confidence": p.confidence < loaded.threshold,
                        "model": loaded.name,
                        # P(the message owes a reply) and the cost rule's decision on it: a
                        # must-answer intent, P >= the model's must-answer threshold, or an
                        # urgency cue means "never file it under FYI or Held" (classifier.costs).
                        "must_answer": round(p.must_answer, 4),
                        "must_answer_threshold": must_threshold,
                        "urgency": urgent.reason if urgent else None,
                        "needs_answer": p.intent in MUST_ANSWER or p.must_answer >= must_threshold or bool(urgent),
                    }
                )
            )
        else:
            click.echo(f"{request.get('id')}\t{p.intent}\t{p.confidence:.3f}")


@click.command("classify")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='JSON lines out: {"id", "intent", "confidence", "low_confidence", "model", "must_answer", '
    '"must_answer_threshold", "urgency", "needs_answer"}.',
)
@model_options
def classify_command(as_json: bool, model: str | None, models_dir: Path | None) -> None:
    """Classify JSON lines {"id", "subject", "body"} from stdin, one result line each."""
    loaded = load_model(model, models_dir)
    stdin = sys.stdin
    batch: list[dict[str, Any] | str] = []
    errors = 0
    for _number, request in _read_requests(stdin):
        if isinstance(request, str):
            errors += 1
            click.echo(request, err=True)
        batch.append(request)
        if len(batch) >= BATCH:
            _flush(loaded, batch, as_json)
            batch = []
    _flush(loaded, batch, as_json)
    if errors:
        raise click.ClickException(f"{errors} input line(s) could not be classified")
