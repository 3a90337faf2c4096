"""Training and evaluating with grouped real messages: reading them, grouped folds, `eval --grouped`.

The shared real set is third-party text and is not used here: these tests write a small set of
their own in the same format (the seed corpus, given made-up sources)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from triage import ROOT
from triage.classifier import LABELS, realmail, train
from triage.classifier.cli import eval_command, train_command
from triage.classifier.corpus import read_jsonl
from triage.classifier.crossval import grouped_folds
from triage.errors import BadInput

SEED = ROOT / "models" / "corpus" / "seed.jsonl"


def _real_like(path: Path, per_label: int = 6, groups: int = 6) -> Path:
    """Seed examples written as realmail records, spread over `groups` sources."""
    taken: Counter[str] = Counter()
    rows = []
    for e in read_jsonl(SEED):
        if taken[e.intent] < per_label:
            taken[e.intent] += 1
            rows.append(
                {
                    "id": e.id,
                    "label": e.intent,
                    "subject": e.subject or None,
                    "body": e.body,
                    "group": f"site-{len(rows) % groups}",
                    "tier": "T1",
                }
            )
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _small_corpus(folder: Path) -> Path:
    folder.mkdir()
    taken: Counter[str] = Counter()
    lines = []
    for line in SEED.read_text(encoding="utf-8").splitlines()[::-1]:
        intent = json.loads(line)["intent"]
        if taken[intent] < 5:
            taken[intent] += 1
            lines.append(line)
    (folder / "small.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_read_gives_examples_with_their_group_as_source(tmp_path):
    examples = realmail.read(_real_like(tmp_path / "dev.jsonl"))
    assert len(examples) == 6 * len(LABELS)
    assert {e.source for e in examples} == {f"realmail:site-{i}" for i in range(6)}
    assert all(realmail.is_real(e) for e in examples)


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("not json", "dev.jsonl:2"),
        ('{"label": "thank_you", "body": "hi"}', "dev.jsonl:2"),
        ('{"label": "thanks", "body": "hi", "group": "a"}', "unknown label"),
        ('{"label": "thank_you", "body": "hi", "group": ""}', "dev.jsonl:2"),
    ],
)
def test_a_bad_record_is_an_error_naming_its_line(tmp_path, line, says):
    path = tmp_path / "dev.jsonl"
    path.write_text('{"id": 1, "label": "other", "body": "x", "group": "g"}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(BadInput, match=says):
        realmail.read(path)


def test_locate_follows_the_environment_and_fails_clearly(tmp_path, monkeypatch):
    data = _real_like(tmp_path / realmail.FILE_NAME)
    monkeypatch.setenv(realmail.ENV_VAR, str(tmp_path))
    assert realmail.locate() == data
    monkeypatch.setenv(realmail.ENV_VAR, str(tmp_path / "nowhere"))
    with pytest.raises(BadInput, match="names no dev.jsonl"):
        realmail.locate()


def test_grouped_folds_never_put_a_source_on_both_sides(tmp_path):
    examples = realmail.read(_real_like(tmp_path / "dev.jsonl", groups=11))
    folds = grouped_folds(examples, seed=1)
    assert len(folds) == 5
    seen_test = []
    for train_idx, test_idx in folds:
        assert not {examples[i].source for i in train_idx} & {examples[i].source for i in test_idx}
        seen_test.extend(test_idx)
    assert sorted(seen_test) == list(range(len(examples)))


def test_grouped_folds_need_enough_groups(tmp_path):
    examples = realmail.read(_real_like(tmp_path / "dev.jsonl", groups=3))
    with pytest.raises(BadInput, match="at least 5 groups"):
        grouped_folds(examples, seed=1)


def test_training_with_real_messages_records_their_hash_and_real_figures(tmp_path):
    path = _real_like(tmp_path / "dev.jsonl", per_label=5, groups=8)
    real = realmail.read(path)
    corpus = read_jsonl(SEED)[::6]
    model = train(corpus, seed=3, real=real, real_sha256=realmail.sha256(path))
    meta = model.meta
    assert meta["realmail"] == {"sha256": realmail.sha256(path), "n_examples": len(real), "n_groups": 8}
    assert meta["cv"]["real"]["per_label"]["thank_you"]["support"] == 5
    assert meta["cv"]["corpus"]["per_label"]["thank_you"]["support"] == sum(e.intent == "thank_you" for e in corpus)
    assert 0 < meta["must_answer_threshold"] <= 1 and 0 <= meta["threshold"] <= 1
    assert set(meta["cv"]["real"]["lanes"]) >= {"must_kept", "review_share"}
    assert [row["n"] for row in meta["cv"]["real"]["reliability"]] and meta["sources"]["realmail"] == len(real)


def test_eval_grouped_scores_the_file_with_folds_by_source(tmp_path):
    path = _real_like(tmp_path / "dev.jsonl", per_label=5, groups=7)
    corpus = _small_corpus(tmp_path / "corpus")
    args = [str(path), "--grouped", "--corpus", str(corpus), "--folds", "5", "--seed", "2"]
    result = CliRunner().invoke(eval_command, [*args, "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)
    assert scores["groups"] == 7 and sum(r["support"] for r in scores["per_label"].values()) == 5 * len(LABELS)
    assert 0 <= scores["macro_f1"] <= 1 and 0 <= scores["lanes"]["must_kept"] <= 1
    text = CliRunner().invoke(eval_command, args)
    assert "grouped 5-fold cross-validation" in text.output and "must-answer kept" in text.output


def test_eval_grouped_without_a_group_field_is_a_clear_error(tmp_path):
    path = tmp_path / "plain.jsonl"
    path.write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    result = CliRunner().invoke(eval_command, [str(path), "--grouped"])
    assert result.exit_code != 0 and "plain.jsonl:1" in result.output


def test_train_says_when_it_has_no_real_messages(tmp_path, monkeypatch):
    monkeypatch.setenv(realmail.ENV_VAR, str(tmp_path / "missing"))
    corpus = _small_corpus(tmp_path / "corpus")
    result = CliRunner().invoke(train_command, ["--corpus", str(corpus), "--out", str(tmp_path / "out")])
    assert result.exit_code != 0 and "names no dev.jsonl" in result.output


def test_must_answer_probability_is_the_sum_of_its_labels():
    from triage.classifier.costs import MUST_ANSWER, must_answer_proba

    proba = np.full((2, len(LABELS)), 1 / len(LABELS))
    assert must_answer_proba(proba, LABELS) == pytest.approx([len(MUST_ANSWER) / len(LABELS)] * 2)
