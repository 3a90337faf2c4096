"""Retrain the intent model on the corpus plus corrections; activate it only if it does no worse.

The candidate trains on the corpus minus a fixed, stratified held-out split, plus the inbox
corrections, plus the real candidate messages of ../shared/realmail (or $TRIAGE_REALMAIL) when
that folder is there (a user's clone has none: then corpus only, and the result says so), with a
fixed seed. It and the active model are scored on the same examples: the
team's models/eval/holdout.jsonl, plus the corpus split when the active model was itself trained
without that split (a model that has seen an example cannot be fairly scored on it). The
candidate becomes active (var/models/ACTIVE) only if its macro-F1 does not drop; either way the
decision and both scores go to the audit trail.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from triage.classifier import corrections, realmail, store
from triage.classifier.holdout import SPLIT_FRACTION, held_out_split, subsample
from triage.config import Settings
from triage.db import Database, audit
from triage.errors import BadInput

log = logging.getLogger(__name__)

SEED = 42


@dataclass
class RetrainResult:
    activated: bool
    reason: str
    candidate: str
    previous: str
    macro_f1: dict[str, float | None]
    evaluated_on: list[str]
    corrections: int
    scores: dict[str, Any] = field(default_factory=dict)
    pruned: list[str] = field(default_factory=list)  # old models removed from var/models
    realmail: str = ""  # what real mail the candidate trained on, in words

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _stem(settings: Settings) -> str:
    stem = f"intent-{datetime.now(UTC):%Y-%m-%d-%H%M%S}"
    folder, n, chosen = store.store_dir(settings), 1, stem
    while (folder / f"{chosen}.skops").exists():
        n += 1
        chosen = f"{stem}-{n}"
    return chosen


def _summary(result: dict[str, Any]) -> dict[str, Any]:
    return {
        "macro_f1": result["macro_f1"],
        "accuracy": result["accuracy"],
        "f1": {label: row["f1"] for label, row in result["per_label"].items()},
    }


# --- the run --------------------------------------------------------------------------------------
def retrain(
    settings: Settings,
    database: Database,
    *,
    seed: int = SEED,
    per_label: int | None = None,
    user_id: int | None = None,
) -> RetrainResult:
    """Train a candidate on corpus + corrections, compare it with the active model, maybe activate it."""
    # Deferred: the web imports this module to enqueue a retrain and must not load scikit-learn.
    from triage import classifier
    from triage.classifier.corpus import Example, data_hash, read_jsonl
    from triage.classifier.evaluate import scores

    if settings.model_name:
        raise store.ModelError(
            f"TRIAGE_MODEL={settings.model_name} pins the model; unset it to let retraining choose the active model"
        )
    corpus = classifier.read_corpus(settings.models_dir / "corpus")
    if per_label:
        corpus = subsample(corpus, per_label, seed)
    train_part, held_part = held_out_split(corpus)
    holdout_file = settings.models_dir / "eval" / "holdout.jsonl"
    holdout = read_jsonl(holdout_file) if holdout_file.is_file() else []
    with database.session() as session:
        records = corrections.export(session)

    previous_path = store.locate(settings)
    try:
        previous = classifier.load(previous_path)
    except store.ModelError as exc:
        log.error("the active model %s does not load: %s", previous_path.name, exc)
        previous = None

    examples = train_part + [
        Example(r.subject, r.body, r.intent, f"correction-{r.message_id}", "corrections") for r in records
    ]
    real_path = realmail.locate()
    real = realmail.read(real_path) if real_path else []
    real_sha256 = realmail.sha256(real_path) if real_path else None
    real_note = (
        f"{len(real)} real messages from {real_path} (sha256 {real_sha256[:12]})"
        if real_path
        else f"no real messages (../shared/realmail absent, {realmail.ENV_VAR} unset): team corpus and corrections only"
    )
    log.info("retraining on %d corpus examples and %d corrections; %s", len(train_part), len(records), real_note)
    candidate = classifier.train(examples, seed=seed, real=real, real_sha256=real_sha256)

    split_hash = data_hash(held_part)
    shares_split = previous is not None and previous.meta.get("retrain", {}).get("held_out_hash") == split_hash
    evaluation = list(holdout) + (list(held_part) if shares_split else [])
    parts = ([holdout_file.name] if holdout else []) + (["corpus split"] if shares_split else [])
    if not evaluation:
        raise BadInput(
            f"nothing to evaluate on: no {holdout_file}, and the active model "
            f"{previous_path.stem} may have trained on the corpus split"
        )

    def score(model) -> dict[str, Any]:
        found = classifier.predict(model, [(e.subject, e.body) for e in evaluation])
        return scores([e.intent for e in evaluation], [p.intent for p in found], model.labels)

    result = {"candidate": _summary(score(candidate))}
    if previous is not None:
        result["previous"] = _summary(score(previous))
    new_f1 = result["candidate"]["macro_f1"]
    old_f1 = result["previous"]["macro_f1"] if previous is not None else None
    stem = _stem(settings)
    pruned: list[str] = []
    if previous is None:
        activate, reason = True, f"the active model {previous_path.stem} does not load"
    elif new_f1 >= old_f1:
        activate, reason = True, f"macro-F1 {new_f1:.4f} >= {old_f1:.4f} on {' + '.join(parts)}"
    else:
        activate, reason = False, f"macro-F1 would drop from {old_f1:.4f} to {new_f1:.4f} on {' + '.join(parts)}"

    if activate:
        candidate.meta["retrain"] = {
            "held_out_hash": split_hash,
            "held_out": {"fraction": SPLIT_FRACTION, "n": len(held_part)},
            "corpus_examples": len(train_part),
            "corrections": len(records),
            "per_label": per_label,
            "previous": previous_path.stem,
            "evaluated_on": parts,
            "evaluation": result,
            "realmail": real_note,
        }
        path = classifier.save(candidate, store.store_dir(settings), stem=stem)
        if store.locate(settings) != previous_path:
            path.unlink()
            path.with_suffix(".json").unlink()
            activate, reason = False, "another model was activated while this one trained"
        else:
            store.activate(settings, path)
            pruned = _prune(settings, keep=(path, previous_path))

    outcome = RetrainResult(
        activated=activate,
        reason=reason,
        candidate=stem,
        previous=previous_path.stem,
        macro_f1={"candidate": new_f1, "previous": old_f1},
        evaluated_on=parts,
        corrections=len(records),
        scores=result,
        pruned=pruned,
        realmail=real_note,
    )
    with database.session() as session:
        if activate:
            corrections.mark_used(session, records, stem)
        audit.record(
            session,
            user_id,
            "model.activate" if activate else "model.reject",
            "model",
            None,
            model=stem,
            previous=previous_path.stem,
            reason=reason,
            macro_f1=outcome.macro_f1,
            evaluated_on=parts,
            n_evaluated=len(evaluation),
            corrections=len(records),
            corpus_examples=len(train_part),
            data_hash=candidate.meta["data_hash"],
            seed=seed,
            pruned=pruned,
            realmail=real_sha256,
            f1={"candidate": result["candidate"]["f1"], "previous": result.get("previous", {}).get("f1")},
        )
        session.commit()
    log.info("retrain %s: %s", "activated " + stem if activate else "rejected", reason)
    return outcome


def _prune(settings: Settings, keep) -> list[str]:
    # Housekeeping after the activation that already happened: a file that cannot be removed
    # must not turn this into a failed retrain with no audit record.
    try:
        return store.prune(settings, keep)
    except OSError as exc:
        log.warning("could not prune old models: %s", exc)
        return []
