"""Training, saving and loading the intent model on a small corpus in a tmp dir."""

import json
import os
import zipfile
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
import skops.io as sio
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from triage import ROOT
from triage.classifier import LABELS, Example, ModelError, ModelMismatch, load, predict, save, store, train
from triage.classifier.corpus import data_hash, read_jsonl
from triage.errors import BadInput, TriageError

SEED = ROOT / "models" / "corpus" / "seed.jsonl"
PER_LABEL = 7
PROBES = [
    ("Re: Offer", "I am delighted to accept the offer."),
    ("", "any update on my application?"),
    ("Withdraw", "Please withdraw my application, I took another job."),
]


def small_corpus() -> list[Example]:
    """The first PER_LABEL seed examples of each label."""
    taken: Counter[str] = Counter()
    out = []
    for example in read_jsonl(SEED):
        if taken[example.intent] < PER_LABEL:
            taken[example.intent] += 1
            out.append(example)
    return out


@pytest.fixture(scope="module")
def trained():
    return train(small_corpus(), seed=7)


@pytest.fixture(scope="module")
def saved(trained, tmp_path_factory) -> Path:
    return save(trained, tmp_path_factory.mktemp("models"), day=date(2026, 1, 2))


def test_same_seed_gives_same_hash_and_predictions(trained):
    again = train(list(reversed(small_corpus())), seed=7)
    assert (again.meta["data_hash"], predict(again, PROBES)) == (trained.meta["data_hash"], predict(trained, PROBES))


def test_data_hash_changes_with_the_data():
    corpus = small_corpus()
    changed = [corpus[0]._replace(body=corpus[0].body + "!")] + corpus[1:]
    assert data_hash(changed) != data_hash(corpus)


def test_train_accepts_plain_tuples_as_corrections(trained):
    records = [(e.subject, e.body, e.intent) for e in small_corpus()]
    assert data_hash(records) == trained.meta["data_hash"]


def test_sidecar_records_versions_scores_and_threshold(saved):
    meta = json.loads(saved.with_suffix(".json").read_text())
    assert (
        saved.name,
        set(meta["versions"]),
        meta["labels"],
        meta["random_state"],
        set(meta["cv"]["per_label"]["withdrawal"]),
        meta["n_per_label"]["other"],
    ) == (
        "intent-2026-01-02.skops",
        {"python", "scikit-learn", "numpy", "scipy", "skops"},
        list(LABELS),
        7,
        {"precision", "recall", "f1", "support"},
        PER_LABEL,
    )
    assert 0 <= meta["cv"]["macro_f1"] <= 1 and 0 <= meta["threshold"] <= 1
    assert 0 < meta["must_answer_threshold"] <= 1 and meta["realmail"] is None


def test_saved_model_loads_and_predicts_like_the_trained_one(trained, saved):
    assert predict(load(saved), PROBES) == predict(trained, PROBES)


def test_predict_returns_one_prediction_per_message_in_order(trained):
    predictions = predict(trained, PROBES + [(None, None)])
    assert [len(predictions)] + [p.intent in LABELS and 0 <= p.confidence <= 1 for p in predictions] == [4] + [True] * 4


def test_predict_of_nothing_is_nothing(trained):
    assert predict(trained, []) == []


def _copy_with_versions(saved: Path, tmp_path: Path, **versions: str) -> Path:
    target = tmp_path / saved.name
    target.write_bytes(saved.read_bytes())
    meta = json.loads(saved.with_suffix(".json").read_text())
    meta["versions"].update(versions)
    target.with_suffix(".json").write_text(json.dumps(meta))
    return target


def test_scikit_learn_minor_mismatch_fails_loudly(saved, tmp_path):
    with pytest.raises(ModelMismatch, match="scikit-learn 1.0.2"):
        load(_copy_with_versions(saved, tmp_path, **{"scikit-learn": "1.0.2"}))


def test_model_mismatch_is_a_triage_error():
    assert issubclass(ModelMismatch, TriageError)


def test_scikit_learn_patch_difference_still_loads(saved, tmp_path):
    from importlib.metadata import version

    major, minor, *_ = version("scikit-learn").split(".")
    assert load(_copy_with_versions(saved, tmp_path, **{"scikit-learn": f"{major}.{minor}.99"}))


def test_missing_sidecar_fails(saved, tmp_path):
    target = tmp_path / saved.name
    target.write_bytes(saved.read_bytes())
    with pytest.raises(ModelError, match="sidecar"):
        load(target)


def test_file_with_untrusted_type_is_refused(saved, tmp_path):
    evil = Pipeline([("run", FunctionTransformer(os.system))])
    target = tmp_path / "intent-2026-01-03.skops"
    sio.dump(evil, target, compression=zipfile.ZIP_DEFLATED)
    target.with_suffix(".json").write_text(saved.with_suffix(".json").read_text())
    with pytest.raises(ModelError, match="do not trust"):
        load(target)


def test_the_newest_model_by_date_is_the_default(saved, tmp_path):
    for day in ("2025-12-31", "2026-02-01", "2026-01-15"):
        for suffix in (".skops", ".json"):
            (tmp_path / f"intent-{day}{suffix}").write_bytes(saved.with_suffix(suffix).read_bytes())
    assert store.newest(tmp_path).stem == "intent-2026-02-01"


def test_a_named_model_is_chosen_over_the_newest(saved):
    assert store.newest(saved.parent, "intent-2026-01-02").stem == "intent-2026-01-02"


def test_unknown_model_name_fails(saved):
    with pytest.raises(ModelError, match="not found"):
        store.newest(saved.parent, "intent-1999-01-01")


def test_empty_models_folder_fails(tmp_path):
    with pytest.raises(ModelError, match="no intent"):
        store.newest(tmp_path)


def test_too_few_examples_of_a_label_is_refused():
    corpus = [e for e in small_corpus() if e.intent != "other"] + [e for e in small_corpus() if e.intent == "other"][:3]
    with pytest.raises(BadInput, match="other"):
        train(corpus, seed=1)


def test_unknown_label_is_refused():
    with pytest.raises(BadInput, match="unknown intent"):
        train([("s", "b", "gratitude")], seed=1)


def test_fast_scoring_path_equals_the_pipeline(trained):
    from triage.classifier.model import score

    proba, _ = score(trained.pipeline, PROBES)
    assert abs(proba - trained.pipeline.predict_proba(PROBES)).max() < 1e-6


def test_calibration_error_is_zero_when_confidence_matches_accuracy():
    import numpy as np

    from triage.classifier.train import calibration_error

    confidence = np.array([0.75] * 4 + [0.95] * 20)
    correct = np.array([1, 1, 1, 0] + [1] * 19 + [0], dtype=float)
    assert calibration_error(confidence, correct) == 0.0
