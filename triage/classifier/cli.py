"""`triage train`, `triage eval`, `triage classify`: thin click commands over triage.classifier."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import click
import numpy as np

from triage import ROOT, classifier, config
from triage.classifier import corrections, crossval, realmail, store
from triage.classifier.corpus import read_jsonl
from triage.classifier.costs import MUST_ANSWER
from triage.classifier.evaluate import report, scores
from triage.db import Database
from triage.errors import TriageError

log = logging.getLogger(__name__)

MODELS_DIR = ROOT / "models"
BATCH = 1000


def _load(model: str | None, models_dir: Path | None) -> classifier.IntentModel:
    """The model the workers use (settings, var/models/ACTIVE), unless the options name another."""
    try:
        settings = config.load()
        settings = replace(
            settings, models_dir=models_dir or settings.models_dir, model_name=model or settings.model_name
        )
        return classifier.load_active(settings)
    except TriageError as exc:
        raise click.ClickException(str(exc)) from exc


@click.command("train")
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to write the model into [default: models/; var/models with --corrections].",
)
@click.option(
    "--corpus",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=MODELS_DIR / "corpus",
    show_default=True,
    help="Folder whose *.jsonl files are the training data.",
)
@click.option(
    "--extra",
    "extra",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="More labelled JSON lines to train on (e.g. exported corrections).",
)
@click.option(
    "--corrections",
    "with_corrections",
    is_flag=True,
    help="Also train on the inbox corrections in the database (writes under var/models).",
)
@click.option(
    "--realmail/--no-realmail",
    "use_realmail",
    default=True,
    show_default=True,
    help="Also train on ../shared/realmail (or TRIAGE_REALMAIL) when it is there.",
)
@click.option("--seed", type=int, default=42, show_default=True)
def train_command(
    out: Path | None, corpus: Path, extra: tuple[Path, ...], with_corrections: bool, use_realmail: bool, seed: int
) -> None:
    """Train the intent classifier on the corpus (+ real mail) and write intent-<date>.skops + .json."""
    try:
        records = classifier.read_corpus(corpus)
        for path in extra:
            records.extend(read_jsonl(path))
        if with_corrections:
            found, out = _corrections(out)
            records.extend(found)
            click.echo(f"with {len(found)} corrected message(s) from the database")
        real_path = realmail.locate() if use_realmail else None
        real = realmail.read(real_path) if real_path else []
        if real_path:
            click.echo(f"with {len(real)} real messages from {real_path} (grouped cross-validation by source)")
        elif use_realmail:
            click.echo(
                f"no real messages (../shared/realmail absent, {realmail.ENV_VAR} unset): training on the team "
                "corpus alone; its figures overestimate real mail"
            )
        model = classifier.train(
            records, seed=seed, real=real, real_sha256=realmail.sha256(real_path) if real_path else None
        )
        # A timestamped name never overwrites a model that retraining may have made active.
        stem = f"intent-{datetime.now(UTC):%Y-%m-%d-%H%M%S}" if with_corrections else None
        path = classifier.save(model, out or MODELS_DIR, stem=stem)
    except TriageError as exc:
        raise click.ClickException(str(exc)) from exc
    cv = model.meta["cv"]
    labels = model.meta["labels"]
    click.echo(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB) and {path.with_suffix('.json').name}")
    click.echo(f"{model.meta['n_examples']} examples, data sha256 {model.meta['data_hash'][:12]}, seed {seed}")
    if "real" in cv:
        lanes = cv["real"]["lanes"]
        click.echo(f"grouped {cv['folds']}-fold cross-validation, real messages (thresholds are chosen on these):")
        click.echo(report(cv["real"], labels))
        click.echo(
            f"must-answer kept (Today or Review) {lanes['must_kept']:.1%}, Review {lanes['review_share']:.1%} "
            "(thresholds cross-fitted over the folds)"
        )
        click.echo(f"\n{cv['folds']}-fold cross-validation, team-written corpus (overestimates real mail):")
        click.echo(report(cv["corpus"], labels))
    else:
        click.echo(f"{cv['folds']}-fold cross-validation (team-written corpus; overestimates real mail):")
        click.echo(report(cv, labels))
    calibrated = model.meta["calibration"]
    click.echo(
        f"calibration: temperature beta {calibrated['beta']}, label offsets, fitted on {calibrated['fitted_on']}"
    )
    click.echo(
        f"review threshold {model.meta['threshold']:.3f}, must-answer threshold "
        f"{model.meta['must_answer_threshold']:.2f} ({model.meta['threshold_rule']})"
    )
    if with_corrections:
        click.echo("not activated: `triage retrain` trains, compares and activates models")


def _corrections(out: Path | None) -> tuple[list[classifier.Example], Path]:
    """The database's corrections as examples, and where a model trained on them may go."""
    settings = config.load()
    # The vocabulary of a model trained on corrections holds words of candidate mail: keep it
    # under var/ (never committed), not in the shipped models/ folder.
    out = Path(out or store.store_dir(settings)).resolve()
    if out.is_relative_to(MODELS_DIR) or out.is_relative_to(settings.models_dir.resolve()):
        raise click.ClickException(
            f"a model trained on corrections holds candidate mail; write it under {settings.var_dir}, not {out}"
        )
    database = Database(settings.database_url)
    try:
        with database.session() as session:
            records = corrections.export(session)
    finally:
        database.dispose()
    return [
        classifier.Example(r.subject, r.body, r.intent, f"correction-{r.message_id}", "corrections") for r in records
    ], out


@click.command("eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--model", default=None, help="Model file or name (default: the active one, as the workers use it).")
@click.option(
    "--models-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of shipped models (default: TRIAGE_MODELS_DIR, else models/).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the scores as one JSON object.")
@click.option(
    "--grouped",
    is_flag=True,
    help="Grouped cross-validation instead of scoring a model: train on the corpus + the other folds "
    "of FILE, score each fold; a source (--group-field) is never on both sides.",
)
@click.option("--group-field", default="group", show_default=True, help="FILE's field naming each message's source.")
@click.option(
    "--corpus",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=MODELS_DIR / "corpus",
    show_default=True,
    help="With --grouped: the corpus in every training fold.",
)
@click.option("--folds", type=click.IntRange(2, 20), default=5, show_default=True)
@click.option("--seed", type=int, default=42, show_default=True)
def eval_command(
    file: Path,
    model: str | None,
    models_dir: Path | None,
    as_json: bool,
    grouped: bool,
    group_field: str,
    corpus: Path,
    folds: int,
    seed: int,
) -> None:
    """Score the model on labelled JSON lines: per-label P/R/F1, macro-F1, confusion matrix."""
    if grouped:
        _grouped_eval(file, group_field, corpus, folds, seed, as_json)
        return
    try:
        examples = read_jsonl(file)
    except TriageError as exc:
        raise click.ClickException(str(exc)) from exc
    if not examples:
        raise click.ClickException(f"{file} holds no examples")
    loaded = _load(model, models_dir)
    predictions = classifier.predict(loaded, [(e.subject, e.body) for e in examples])
    labels = loaded.labels
    result = scores([e.intent for e in examples], [p.intent for p in predictions], labels)
    confident = [p.confidence >= loaded.threshold for p in predictions]
    result["review_share"] = round(1 - sum(confident) / len(confident), 4)
    result["model"] = loaded.name
    if as_json:
        click.echo(json.dumps(result))
        return
    click.echo(f"model {loaded.name} on {file} ({len(examples)} messages)")
    click.echo(report(result, labels))
    click.echo(f"below review threshold {loaded.threshold:.3f}: {result['review_share']:.1%}")


def _grouped_eval(file: Path, group_field: str, corpus: Path, folds: int, seed: int, as_json: bool) -> None:
    from triage.classifier.train import fit_uncalibrated, lane_figures  # here: only this mode trains

    try:
        held = realmail.read(file, group_field)
        if not held:
            raise click.ClickException(f"{file} holds no examples")
        always = classifier.read_corpus(corpus)
        proba, confidence, fold = crossval.out_of_fold(held, always, fit_uncalibrated, seed, folds)
    except TriageError as exc:
        raise click.ClickException(str(exc)) from exc
    labels = list(classifier.LABELS)
    truth = [e.intent for e in held]
    result = scores(truth, [labels[i] for i in proba.argmax(axis=1)], labels)
    result["lanes"] = lane_figures(np.array(truth), proba, confidence, fold)
    result["groups"] = len({e.source for e in held})
    if as_json:
        click.echo(json.dumps(result))
        return
    click.echo(
        f"grouped {folds}-fold cross-validation on {file} ({len(held)} messages, {result['groups']} groups); "
        f"training folds: {len(always)} corpus messages + the other folds"
    )
    click.echo(report(result, labels))
    lanes = result["lanes"]
    click.echo(
        f"must-answer kept (Today or Review) {lanes['must_kept']:.1%}, Review {lanes['review_share']:.1%} "
        "(thresholds chosen on the other folds)"
    )


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
                        # must-answer intent, or P >= the model's must-answer threshold, means
                        # "never file it under FYI or Held" (triage.classifier.costs).
                        "must_answer": round(p.must_answer, 4),
                        "must_answer_threshold": must_threshold,
                        "needs_answer": p.intent in MUST_ANSWER or p.must_answer >= must_threshold,
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
    '"must_answer_threshold", "needs_answer"}.',
)
@click.option("--model", default=None, help="Model file or name (default: the active one, as the workers use it).")
@click.option(
    "--models-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of shipped models (default: TRIAGE_MODELS_DIR, else models/).",
)
def classify_command(as_json: bool, model: str | None, models_dir: Path | None) -> None:
    """Classify JSON lines {"id", "subject", "body"} from stdin, one result line each."""
    loaded = _load(model, models_dir)
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


@click.group()
def main() -> None:
    """Intent classifier commands (also registered on the `triage` command)."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


main.add_command(train_command)
main.add_command(eval_command)
main.add_command(classify_command)

if __name__ == "__main__":
    main()
