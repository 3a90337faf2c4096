"""`triage eval`: score a model on labelled JSON lines, or grouped cross-validation on them."""

from __future__ import annotations

import json
from pathlib import Path

import click
import numpy as np

from triage import classifier
from triage.classifier import crossval, realmail
from triage.classifier.cli_classify import MODELS_DIR, load_model, model_options
from triage.classifier.corpus import read_jsonl
from triage.classifier.evaluate import report, scores
from triage.errors import TriageError


@click.command("eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@model_options
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
    loaded = load_model(model, models_dir)
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
