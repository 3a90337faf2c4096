"""The train / eval / classify commands, invoked directly with click's CliRunner."""

import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from triage import ROOT
from triage.classifier import LABELS
from triage.classifier.cli import classify_command, eval_command, train_command

SEED = ROOT / "models" / "corpus" / "seed.jsonl"
REQUESTS = [
    {"id": "m1", "subject": "Re: Offer", "body": "I am delighted to accept."},
    {"id": 2, "subject": "", "body": "Any update on my application?"},
    {"id": "m3", "body": "Thank you for the interview today."},
]


@pytest.fixture(autouse=True)
def own_var_dir(tmp_path, monkeypatch):
    """A var/ of the test's own: no var/models/ACTIVE from a developer's `make run` steers the CLI."""
    monkeypatch.setenv("TRIAGE_VAR_DIR", str(tmp_path / "own-var"))
    monkeypatch.delenv("TRIAGE_MODEL", raising=False)


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory) -> Path:
    """Train through the CLI on 6 seed examples per label; return the output folder."""
    corpus = tmp_path_factory.mktemp("corpus")
    taken: Counter[str] = Counter()
    lines = []
    for line in SEED.read_text(encoding="utf-8").splitlines():
        intent = json.loads(line)["intent"]
        if taken[intent] < 6:
            taken[intent] += 1
            lines.append(line)
    (corpus / "small.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path_factory.mktemp("models")
    result = CliRunner().invoke(
        train_command, ["--corpus", str(corpus), "--out", str(out), "--seed", "3", "--no-realmail"]
    )
    assert result.exit_code == 0, result.output
    return out


def test_train_writes_model_and_sidecar(models_dir):
    assert sorted(p.suffix for p in models_dir.glob("intent-*")) == [".json", ".skops"]


def test_classify_json_gives_one_line_per_request_with_id_intent_confidence(models_dir):
    stdin = "\n".join(json.dumps(r) for r in REQUESTS) + "\n"
    result = CliRunner().invoke(classify_command, ["--json", "--models-dir", str(models_dir)], input=stdin)
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert (
        result.exit_code,
        [r["id"] for r in rows],
        all(r["intent"] in LABELS and 0 <= r["confidence"] <= 1 for r in rows),
    ) == (0, ["m1", 2, "m3"], True)


def test_classify_json_carries_the_must_answer_probability_and_decision(models_dir):
    from triage.classifier.costs import MUST_ANSWER

    stdin = "\n".join(json.dumps(r) for r in REQUESTS) + "\n"
    result = CliRunner().invoke(classify_command, ["--json", "--models-dir", str(models_dir)], input=stdin)
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    sidecar = json.loads(next(models_dir.glob("intent-*.json")).read_text())
    assert [
        (
            0 <= r["must_answer"] <= 1,
            r["must_answer_threshold"],
            r["needs_answer"],
        )
        for r in rows
    ] == [
        (
            True,
            sidecar["must_answer_threshold"],
            r["intent"] in MUST_ANSWER or r["must_answer"] >= sidecar["must_answer_threshold"] or bool(r["urgency"]),
        )
        for r in rows
    ]


def test_classify_json_says_a_competing_offer_needs_an_answer_whatever_the_intent(models_dir):
    # Read as a status check, it still owes an answer today: routing sends it to Today, and the
    # command must not say otherwise. The quoted line below the reply is history, not a cue.
    requests = [
        {
            "id": "offer",
            "subject": "Any news?",
            "body": "I have another offer and need to give them an answer by Friday.",
        },
        {
            "id": "quoted",
            "subject": "Re: thanks",
            "body": "Thanks, noted.\n\nOn Mon, 7 Dec 2026 at 10:00, Ann <ann@example.com> wrote:\n"
            "> I have another offer and need to give them an answer by Friday.",
        },
    ]
    stdin = "\n".join(json.dumps(r) for r in requests) + "\n"
    result = CliRunner().invoke(classify_command, ["--json", "--models-dir", str(models_dir)], input=stdin)
    rows = {r["id"]: r for r in map(json.loads, result.stdout.splitlines())}
    assert (
        result.exit_code,
        "competing offer" in (rows["offer"]["urgency"] or ""),
        rows["offer"]["needs_answer"],
        rows["quoted"]["urgency"],
    ) == (0, True, True, None)


def test_classify_reports_bad_lines_in_place_and_exits_nonzero(models_dir):
    stdin = json.dumps(REQUESTS[0]) + "\nnot json\n" + json.dumps(REQUESTS[1]) + "\n"
    result = CliRunner().invoke(classify_command, ["--json", "--models-dir", str(models_dir)], input=stdin)
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert (result.exit_code, [r["id"] for r in rows], "error" in rows[1]) == (1, ["m1", None, 2], True)


def test_classify_without_json_prints_tab_separated_lines(models_dir):
    result = CliRunner().invoke(
        classify_command, ["--models-dir", str(models_dir)], input=json.dumps(REQUESTS[0]) + "\n"
    )
    assert result.stdout.split("\t")[0] == "m1" and result.stdout.split("\t")[1] in LABELS


def test_eval_prints_per_label_rows_macro_f1_and_confusion(models_dir, tmp_path):
    labelled = tmp_path / "labelled.jsonl"
    labelled.write_text("\n".join(SEED.read_text(encoding="utf-8").splitlines()[::10]) + "\n")
    result = CliRunner().invoke(eval_command, [str(labelled), "--models-dir", str(models_dir)])
    rows = {line.split()[0] for line in result.stdout.splitlines() if line.strip()}
    assert (result.exit_code, set(LABELS) <= rows, "macro-F1" in rows, "confusion" in result.stdout) == (
        0,
        True,
        True,
        True,
    )


def test_eval_json_scores_parse(models_dir):
    result = CliRunner().invoke(eval_command, [str(SEED), "--json", "--models-dir", str(models_dir)])
    scores = json.loads(result.stdout)
    assert set(scores["per_label"]) == set(LABELS) and 0 <= scores["macro_f1"] <= 1


def test_eval_of_a_bad_file_is_a_clear_error(models_dir, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"subject": "x", "body": "y", "intent": "nonsense"}\n')
    result = CliRunner().invoke(eval_command, [str(bad), "--models-dir", str(models_dir)])
    assert result.exit_code != 0 and "unknown intent" in result.output


def test_missing_model_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(classify_command, ["--models-dir", str(tmp_path)], input="")
    assert result.exit_code != 0 and "no intent-*.skops" in result.output


def test_train_counts_extra_files_in_the_sidecar(models_dir, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "small.jsonl").write_text(
        "\n".join(SEED.read_text(encoding="utf-8").splitlines()[::4]) + "\n", encoding="utf-8"
    )
    extra = tmp_path / "corrections.jsonl"
    extra.write_text(
        json.dumps({"subject": "", "body": "pls take me off the list, found a job", "intent": "withdrawal"}) + "\n"
    )
    result = CliRunner().invoke(
        train_command,
        ["--corpus", str(corpus), "--extra", str(extra), "--out", str(tmp_path / "out"), "--no-realmail"],
    )
    sidecar = json.loads(next((tmp_path / "out").glob("*.json")).read_text())
    assert (result.exit_code, sidecar["sources"]["corrections.jsonl"]) == (0, 1)


def test_classify_uses_the_model_the_workers_use_named_by_var_models_active(models_dir, tmp_path, monkeypatch):
    [trained] = models_dir.glob("intent-*.skops")
    var_models = tmp_path / "var" / "models"
    var_models.mkdir(parents=True)
    for suffix in (".skops", ".json"):
        (var_models / f"intent-2099-01-01-000000{suffix}").write_bytes(trained.with_suffix(suffix).read_bytes())
    (var_models / "ACTIVE").write_text("intent-2099-01-01-000000.skops\n")
    monkeypatch.setenv("TRIAGE_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("TRIAGE_MODEL", raising=False)
    result = CliRunner().invoke(
        classify_command, ["--json", "--models-dir", str(models_dir)], input=json.dumps(REQUESTS[0]) + "\n"
    )
    assert json.loads(result.output)["model"] == "intent-2099-01-01-000000", result.output
