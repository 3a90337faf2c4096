"""`triage train`, `triage eval`, `triage classify`: thin click commands over triage.classifier.

`train` is here; `eval` is in cli_eval, `classify` in cli_classify (imported here: `triage`
finds all three as triage.classifier.cli:<name>_command).
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from triage import classifier, config
from triage.classifier import corrections, realmail, store
from triage.classifier.cli_classify import MODELS_DIR, classify_command
from triage.classifier.cli_eval import eval_command
from triage.classifier.corpus import read_jsonl
from triage.classifier.evaluate import report
from triage.db import Database
from triage.errors import TriageError

log = logging.getLogger(__name__)


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


@click.group()
def main() -> None:
    """Intent classifier commands (also registered on the `triage` command)."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


main.add_command(train_command)
main.add_command(eval_command)
main.add_command(classify_command)

if __name__ == "__main__":
    main()
