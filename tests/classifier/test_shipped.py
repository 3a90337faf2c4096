"""The model shipped in models/ works from a fresh clone, on mail unlike the corpus."""

import json
from pathlib import Path

import pytest

from triage import ROOT
from triage.classifier import load, predict, read_corpus, store
from triage.classifier.corpus import read_jsonl

MODELS = ROOT / "models"
HOLDOUT = Path(__file__).resolve().parent / "data" / "classifier_holdout.jsonl"
GIBBERISH = [
    ("", "asdkjh qwpeoiru zxmcnv bnmwqe"),
    ("zzkq", "xqv plorth gnarb vuzzle krom"),
    ("", "ljkhg ;lkj qwer qwer qwer 77 ppp"),
]


@pytest.fixture(scope="module")
def shipped():
    """The shipped model: the newest in models/ (what a fresh clone classifies with)."""
    return load(store.newest(MODELS))


def test_shipped_artifact_is_at_most_20_mb():
    assert store.newest(MODELS).stat().st_size <= 20 * 1024 * 1024


def test_sidecar_names_its_model_file():
    path = store.newest(MODELS)
    assert json.loads(path.with_suffix(".json").read_text())["model_file"] == path.name


def test_holdout_messages_are_not_in_the_training_corpus():
    def key(text: str) -> str:
        return " ".join(text.lower().split())

    corpus = {key(e.body) for e in read_corpus(MODELS / "corpus")}
    assert [e.id for e in read_jsonl(HOLDOUT) if key(e.body) in corpus] == []


def test_shipped_model_classifies_held_out_realistic_mail(shipped):
    examples = read_jsonl(HOLDOUT)
    predictions = predict(shipped, [(e.subject, e.body) for e in examples])
    wrong = [
        f"{e.id}: {e.intent} -> {p.intent} ({p.confidence:.2f})"
        for e, p in zip(examples, predictions)
        if p.intent != e.intent
    ]
    # Obvious cases in unfamiliar voices; allow at most 1 in 10 to miss.
    assert len(wrong) <= len(examples) // 10, wrong


def test_gibberish_falls_below_the_review_threshold(shipped):
    predictions = predict(shipped, GIBBERISH)
    assert [p for p in predictions if shipped.is_confident(p)] == []


def test_the_pinned_scikit_learn_is_the_one_the_shipped_model_needs():
    """A fresh install gets a scikit-learn the shipped model loads on (pyproject's pin)."""
    import tomllib
    from importlib.metadata import version

    from packaging.requirements import Requirement

    built = json.loads(store.newest(MODELS).with_suffix(".json").read_text())["versions"]["scikit-learn"]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    [pin] = [Requirement(r) for r in project["dependencies"] if Requirement(r).name == "scikit-learn"]
    assert pin.specifier.contains(built), f"pyproject pins {pin}, the shipped model was trained with {built}"
    assert pin.specifier.contains(version("scikit-learn")), "the installed scikit-learn is outside the pin"
    # Every version the pin allows has the shipped model's major.minor: the load check accepts them all.
    major_minor = ".".join(built.split(".")[:2])
    assert pin.specifier.contains(f"{major_minor}.99") and not pin.specifier.contains(
        f"{major_minor.split('.')[0]}.{int(major_minor.split('.')[1]) + 1}.0"
    )


def test_the_installed_versions_load_the_shipped_model(shipped):
    from triage.classifier.versions import running_versions

    assert shipped.meta["versions"]["scikit-learn"].split(".")[:2] == running_versions()["scikit-learn"].split(".")[:2]
    assert predict(shipped, [("", "Any update on my application?")])[0].intent == "status_check"


def test_shipped_model_records_the_real_mail_it_trained_on(shipped):
    """The sidecar's realmail SHA-256 is the shared set's (skipped in a clone without ../shared)."""
    from triage.classifier import realmail

    path = realmail.locate()
    if path is None:
        pytest.skip(f"../shared/realmail not found and {realmail.ENV_VAR} unset (a user's clone)")
    assert shipped.meta["realmail"]["sha256"] == realmail.sha256(path)


def test_shipped_model_is_calibrated_on_real_mail(shipped):
    assert shipped.meta["calibration"]["fitted_on"].endswith("real messages")


def test_shipped_model_carries_a_must_answer_threshold_chosen_on_real_mail(shipped):
    assert 0 < shipped.meta["must_answer_threshold"] < 1 and "real messages" in shipped.meta["threshold_rule"]
