"""Learning from corrections: export, retrain, the activation gate, workers following ACTIVE, admin page.

Models here train on a few examples per label (seconds each), never on the full corpus. The tmp
models folder holds a small corpus, a held-out file drawn from another corpus file, and a
"shipped" model chosen per test.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import shutil
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from rq.job import JobStatus
from sqlalchemy import select

from tests.conftest import csrf_from
from triage import ROOT
from triage.classifier import retrain, save, store, train
from triage.classifier.corpus import read_jsonl
from triage.db import AuditEvent, Channel, Correction, Lane, Message, MessageState
from triage.inbox import operations
from triage.processing import pipeline
from triage.runtime import worker

CORPUS = ROOT / "models" / "corpus"
PER_LABEL = 10  # corpus examples per label for every model trained here
SWAP = {"withdrawal": "offer_response", "offer_response": "withdrawal"}
_counter = itertools.count(1)


def take(name: str, per_label: int, skip: int = 0, labels: tuple[str, ...] | None = None) -> list:
    """Examples from one corpus file: per label, `per_label` of them after the first `skip`."""
    seen: Counter[str] = Counter()
    out = []
    for example in read_jsonl(CORPUS / name):
        if labels and example.intent not in labels:
            continue
        seen[example.intent] += 1
        if skip < seen[example.intent] <= skip + per_label:
            out.append(example)
    return out


def small_corpus() -> list:
    return retrain.subsample(read_jsonl(CORPUS / "seed.jsonl"), PER_LABEL, retrain.SEED)


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> dict[str, Path]:
    """Two small models: one trained right, one that swaps withdrawal and offer_response."""
    folder = tmp_path_factory.mktemp("trained")
    examples = small_corpus()
    swapped = [e._replace(intent=SWAP.get(e.intent, e.intent)) for e in examples]
    return {
        "good": save(train(examples, seed=7), folder / "good", stem="intent-2026-01-01"),
        "swapped": save(train(swapped, seed=7), folder / "swapped", stem="intent-2026-01-01"),
    }


@pytest.fixture
def models_dir(tmp_path) -> Path:
    """A models folder: seed.jsonl as the corpus and 12 per label of corpus_d as holdout.jsonl."""
    folder = tmp_path / "models"
    (folder / "corpus").mkdir(parents=True)
    (folder / "eval").mkdir()
    shutil.copy(CORPUS / "seed.jsonl", folder / "corpus" / "seed.jsonl")
    with (folder / "eval" / "holdout.jsonl").open("w") as out:
        for e in take("corpus_d.jsonl", 12):
            out.write(json.dumps({"subject": e.subject, "body": e.body, "intent": e.intent}) + "\n")
    return folder


def ship(models_dir: Path, model: Path) -> Path:
    """Put a trained model in the models folder as the shipped default."""
    for path in (model, model.with_suffix(".json")):
        shutil.copy(path, models_dir / path.name)
    return models_dir / model.name


@pytest.fixture
def settings(make_settings, redis_client, models_dir):
    return make_settings(TRIAGE_MODELS_DIR=str(models_dir))


@pytest.fixture
def app(settings):
    from triage import create_app
    from triage.web import models_admin

    app = create_app(settings)
    if "models_admin" not in app.blueprints:  # until create_app registers it
        models_admin.init_app(app)
    yield app
    app.extensions["triage.database"].dispose()


@pytest.fixture(autouse=True)
def no_shared_realmail(monkeypatch, tmp_path):
    """As in a user's clone: no ../shared/realmail (the tests below that want real mail set TRIAGE_REALMAIL)."""
    from triage.classifier import realmail

    monkeypatch.delenv(realmail.ENV_VAR, raising=False)
    monkeypatch.setattr(realmail, "_DEFAULT", tmp_path / "no-shared" / "realmail")


def real_like(path: Path, per_label: int = 5, groups: int = 6) -> Path:
    """A small realmail-format file (made from corpus_d, given made-up sources)."""
    seen: Counter[str] = Counter()
    rows = []
    for e in read_jsonl(CORPUS / "corpus_d.jsonl"):
        if seen[e.intent] < per_label:
            seen[e.intent] += 1
            rows.append(
                {
                    "id": f"r{len(rows)}",
                    "label": e.intent,
                    "subject": e.subject,
                    "body": e.body,
                    "group": f"site-{len(rows) % groups}",
                }
            )
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def forget_model():
    yield
    pipeline.use_model(None)


@pytest.fixture
def add_message(db_session):
    def build(subject: str, body: str, intent: str | None, reply_text: str | None = "same") -> Message:
        raw = f"Subject: {subject}\n\n{body}\n".encode()
        message = Message(
            raw=raw,
            size=len(raw),
            content_hash=hashlib.sha256(raw).hexdigest(),
            dedupe_key=hashlib.sha256(raw + str(next(_counter)).encode()).hexdigest(),
            channel=Channel.http,
            state=MessageState.triaged,
            lane=Lane.fyi,
            intent=intent,
            subject=subject,
            body_text=body,
            reply_text=body if reply_text == "same" else reply_text,
        )
        db_session.add(message)
        db_session.commit()
        return message

    return build


@pytest.fixture
def correct(db_session, make_user):
    """correct([(subject, body, predicted, right), ...]): messages a recruiter moved to the right intent."""
    user = make_user("recruiter")
    now = datetime.now(UTC)

    def build(rows, add_message) -> list[Message]:
        messages = []
        for subject, body, predicted, right in rows:
            message = add_message(subject, body, predicted)
            operations.move(db_session, message, user, intent=right, now=now)
            messages.append(message)
        db_session.commit()
        return messages

    return build


def audit_actions(db_session) -> list[str]:
    return list(db_session.scalars(select(AuditEvent.action).where(AuditEvent.action.startswith("model."))))


# --- export ---------------------------------------------------------------------------------------
def test_export_gives_one_record_per_message_with_the_latest_intent(db_session, make_user, add_message):
    from triage.classifier import corrections

    user = make_user("recruiter")
    t0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    twice = add_message("Re: offer", "I need a few more days to decide.", "status_check")
    operations.move(db_session, twice, user, intent="offer_response", now=t0)
    operations.move(db_session, twice, user, intent="offer_negotiation", now=t0 + timedelta(minutes=5))
    quoted = add_message(
        "Re: interview", "Tuesday works.\n\n> When are you free?", "other", reply_text="Tuesday works."
    )
    operations.move(db_session, quoted, user, intent="scheduling", now=t0)
    no_reply = add_message("", "Thanks for everything!", "other", reply_text=None)
    operations.move(db_session, no_reply, user, intent="thank_you", now=t0)
    unlabelled = add_message("???", "garbled", None)
    operations.move(db_session, unlabelled, user, lane="review", now=t0)  # lane only: no intent to learn
    db_session.commit()
    records = sorted(corrections.export(db_session), key=lambda r: r.message_id)
    assert [(r.subject, r.body, r.intent, r.message_id, len(r.correction_ids)) for r in records] == [
        ("Re: offer", "I need a few more days to decide.", "offer_negotiation", twice.id, 2),
        ("Re: interview", "Tuesday works.", "scheduling", quoted.id, 1),
        ("", "Thanks for everything!", "thank_you", no_reply.id, 1),
    ]


def test_exported_corrections_are_written_only_under_var(settings, tmp_path):
    from triage.classifier import corrections
    from triage.errors import BadInput

    with pytest.raises(BadInput, match="candidate mail"):
        corrections.write_jsonl([], settings.models_dir / "corpus" / "corrections.jsonl", settings)


def test_held_out_split_is_stratified_and_independent_of_file_order():
    corpus = small_corpus()
    train_part, held = retrain.held_out_split(corpus)
    again = retrain.held_out_split(corpus[::-1])
    assert (Counter(e.intent for e in held), sorted(again[1]), len(train_part)) == (
        Counter({e.intent: 2 for e in corpus}),
        sorted(held),
        8 * 9,
    )


# --- the gate -------------------------------------------------------------------------------------
def test_corrections_that_fix_a_systematic_error_activate_the_new_model(
    settings, database, db_session, trained, models_dir, add_message, correct
):
    ship(models_dir, trained["swapped"])  # calls offer_response withdrawal and vice versa
    wrong = [
        (e.subject, e.body, SWAP[e.intent], e.intent)
        for e in take("corpus_b.jsonl", 8, labels=("withdrawal",))
        + take("corpus_c.jsonl", 8, labels=("offer_response",))
    ]
    messages = correct(wrong, add_message)
    outcome = retrain.retrain(settings, database, per_label=PER_LABEL)
    db_session.expire_all()
    used = {db_session.scalar(select(Correction.used_in_model).where(Correction.message_id == m.id)) for m in messages}
    assert (outcome.activated, store.pointed(settings), used, audit_actions(db_session)) == (
        True,
        f"{outcome.candidate}.skops",
        {outcome.candidate},
        ["model.activate"],
    )


def test_a_candidate_that_scores_worse_is_not_activated(
    settings, database, db_session, trained, models_dir, add_message, correct
):
    ship(models_dir, trained["good"])
    # Poisoned corrections: 30 chasers labelled thank_you and 30 thank-yous labelled status_check.
    poison = {"status_check": "thank_you", "thank_you": "status_check"}
    rows = [(e.subject, e.body, e.intent, poison[e.intent]) for e in take("corpus_a.jsonl", 30, labels=tuple(poison))]
    messages = correct(rows, add_message)
    outcome = retrain.retrain(settings, database, per_label=PER_LABEL)
    db_session.expire_all()
    used = {db_session.scalar(select(Correction.used_in_model).where(Correction.message_id == m.id)) for m in messages}
    assert (
        outcome.activated,
        "would drop" in outcome.reason,
        store.pointed(settings),
        used,
        audit_actions(db_session),
        sorted(p.name for p in store.store_dir(settings).glob("*.skops")),
    ) == (False, True, None, {None}, ["model.reject"], [])


def test_retrain_refuses_when_triage_model_pins_the_model(make_settings, redis_client, database, models_dir, trained):
    ship(models_dir, trained["good"])
    pinned = make_settings(TRIAGE_MODELS_DIR=str(models_dir), TRIAGE_MODEL="intent-2026-01-01")
    with pytest.raises(store.ModelError, match="pins"):
        retrain.retrain(pinned, database, per_label=PER_LABEL)


# --- real mail ------------------------------------------------------------------------------------
def test_retrain_trains_on_real_mail_when_it_is_there_and_records_its_hash(
    settings, database, db_session, trained, models_dir, monkeypatch, tmp_path
):
    from triage.classifier import load, realmail

    path = real_like(tmp_path / "dev.jsonl")
    monkeypatch.setenv(realmail.ENV_VAR, str(path))
    ship(models_dir, trained["swapped"])  # any honest candidate beats it: activated
    outcome = retrain.retrain(settings, database, per_label=PER_LABEL)
    candidate = load(store.store_dir(settings) / f"{outcome.candidate}.skops") if outcome.activated else None
    assert (
        "45 real messages" in outcome.realmail,
        candidate is not None and candidate.meta["realmail"]["sha256"] == realmail.sha256(path),
        candidate is not None and candidate.meta["sources"]["realmail"] == 45,
    ) == (True, True, True)


def test_retrain_without_real_mail_says_it_trained_on_the_corpus_only(settings, database, trained, models_dir):
    from triage.classifier import load

    ship(models_dir, trained["swapped"])  # any honest candidate beats it: activated
    outcome = retrain.retrain(settings, database, per_label=PER_LABEL)
    candidate = load(store.store_dir(settings) / f"{outcome.candidate}.skops") if outcome.activated else None
    assert (outcome.realmail.startswith("no real messages"), candidate is not None and candidate.meta["realmail"]) == (
        True,
        None,
    )


def test_the_retrain_command_prints_what_real_mail_it_used(settings, trained, models_dir, monkeypatch):
    ship(models_dir, trained["swapped"])  # any honest candidate beats it: activated
    _cli_env(monkeypatch, settings)
    result = CliRunner().invoke(retrain.retrain_command, ["--per-label", str(PER_LABEL)])
    assert result.exit_code == 0 and "trained with no real messages (../shared/realmail absent" in result.output, (
        result.output
    )


# --- workers --------------------------------------------------------------------------------------
def test_a_worker_picks_up_a_newly_activated_model(settings, database, redis_client, trained, models_dir):
    from triage.intake.accept import Delivery, accept_many

    ship(models_dir, trained["good"])
    w = worker.build(settings)  # loads the shipped model before any job
    models = store.store_dir(settings)
    models.mkdir(parents=True)
    new = _copy_as(trained["swapped"], models / "intent-2026-02-02-120000.skops")
    store.activate(settings, new)
    raw = b"From: Ada <ada@example.org>\nTo: jobs@triage.localhost\nSubject: Update\n\nAny update on my application?\n"
    [accepted] = accept_many(database, [Delivery(raw, Channel.http)], redis_client)
    w.work(burst=True)
    with database.session() as session:
        assert session.get(Message, accepted.id).model_version == "intent-2026-02-02-120000"


def _copy_as(model: Path, target: Path) -> Path:
    shutil.copy(model, target)
    shutil.copy(model.with_suffix(".json"), target.with_suffix(".json"))
    return target


def test_the_retrain_job_runs_in_a_real_worker_and_activates(settings, redis_client, trained, models_dir):
    ship(models_dir, trained["swapped"])
    job, created = retrain.enqueue(redis_client, per_label=PER_LABEL)
    worker.build(settings).work(burst=True)
    job.refresh()
    assert (created, job.get_status(), job.return_value()["activated"], store.pointed(settings)) == (
        True,
        JobStatus.FINISHED,
        True,
        f"{job.return_value()['candidate']}.skops",
    )


def test_a_second_retrain_request_finds_the_first_one_queued(redis_client):
    first, _ = retrain.enqueue(redis_client)
    second, created = retrain.enqueue(redis_client)
    assert (second.id, created) == (first.id, False)


# --- `triage train --corrections` -----------------------------------------------------------------
def _cli_env(monkeypatch, settings) -> None:
    monkeypatch.setenv("TRIAGE_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("TRIAGE_SECRET_KEY", settings.secret_key)
    monkeypatch.setenv("TRIAGE_MODELS_DIR", str(settings.models_dir))


def test_train_with_corrections_includes_them_and_writes_under_var(
    settings, db_session, add_message, correct, monkeypatch, tmp_path
):
    from triage.classifier.cli import train_command

    _cli_env(monkeypatch, settings)
    correct([(e.subject, e.body, "other", e.intent) for e in take("corpus_b.jsonl", 2)], add_message)
    corpus = tmp_path / "small"
    corpus.mkdir()
    with (corpus / "small.jsonl").open("w") as out:
        for e in retrain.subsample(read_jsonl(CORPUS / "seed.jsonl"), 6, 1):
            out.write(json.dumps({"subject": e.subject, "body": e.body, "intent": e.intent}) + "\n")
    result = CliRunner().invoke(train_command, ["--corpus", str(corpus), "--corrections", "--no-realmail"])
    [written] = store.store_dir(settings).glob("*.json")
    assert (result.exit_code, json.loads(written.read_text())["sources"].get("corrections")) == (0, 6), result.output


def test_train_with_corrections_refuses_to_write_into_models(settings, monkeypatch):
    from triage.classifier.cli import MODELS_DIR, train_command

    _cli_env(monkeypatch, settings)
    result = CliRunner().invoke(
        train_command, ["--corpus", str(settings.models_dir / "corpus"), "--corrections", "--out", str(MODELS_DIR)]
    )
    assert result.exit_code == 1 and "candidate mail" in result.output


# --- the admin page -------------------------------------------------------------------------------
def test_the_model_page_is_for_admins_only(client, login, make_user):
    login(make_user("recruiter"))
    assert client.get("/admin/model").status_code == 403


def test_a_recruiter_cannot_start_a_retrain(client, login, make_user, redis_client):
    login(make_user("recruiter"))
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/admin/model/retrain", data={"csrf_token": token})
    assert (response.status_code, retrain.pending_job(redis_client)) == (403, None)


def test_the_model_page_shows_the_active_model_and_unused_corrections(
    client, login, make_user, trained, models_dir, add_message, correct
):
    ship(models_dir, trained["good"])
    correct([("Re: offer", "I accept the offer!", "thank_you", "offer_response")], add_message)
    login(make_user("admin"))
    page = client.get("/admin/model").get_data(as_text=True)
    assert (
        "intent-2026-01-01" in page,
        "shipped default" in page,
        '<strong id="unused-corrections">1</strong>' in page,
    ) == (True, True, True)


def test_retrain_now_queues_the_job_and_audits_who_asked(
    client, login, make_user, redis_client, db_session, trained, models_dir
):
    ship(models_dir, trained["good"])
    admin = make_user("admin")
    login(admin)
    token = csrf_from(client.get("/admin/model").get_data(as_text=True))
    response = client.post("/admin/model/retrain", data={"csrf_token": token})
    job = retrain.pending_job(redis_client)
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "model.retrain"))
    assert (response.status_code, job is not None and job.kwargs["user_id"], event.user_id) == (303, admin.id, admin.id)


def test_retrain_now_without_the_csrf_token_is_refused(client, login, make_user, redis_client):
    login(make_user("admin"))
    response = client.post("/admin/model/retrain", data={})
    assert (response.status_code, retrain.pending_job(redis_client)) == (400, None)


def test_after_an_activation_the_next_retrain_is_also_scored_on_the_corpus_split(
    settings, database, trained, models_dir
):
    ship(models_dir, trained["swapped"])
    first = retrain.retrain(settings, database, per_label=PER_LABEL)
    second = retrain.retrain(settings, database, per_label=PER_LABEL)
    assert (first.evaluated_on, second.evaluated_on, second.previous) == (
        ["holdout.jsonl"],
        ["holdout.jsonl", "corpus split"],
        first.candidate,
    )


def test_the_model_page_shows_a_retrained_model_with_its_held_out_score(
    client, login, make_user, settings, database, trained, models_dir
):
    ship(models_dir, trained["swapped"])
    outcome = retrain.retrain(settings, database, per_label=PER_LABEL)
    login(make_user("admin"))
    page = client.get("/admin/model").get_data(as_text=True)
    assert (
        outcome.candidate in page,
        "activated by retraining" in page,
        f"{outcome.macro_f1['candidate']:.3f} on holdout.jsonl" in page,
    ) == (True, True, True)


# --- withdrawn corrections ------------------------------------------------------------------------
def test_withdrawing_the_latest_correction_lets_the_earlier_one_stand(db_session, make_user, add_message):
    from triage.classifier import corrections

    recruiter, admin = make_user("recruiter"), make_user("admin")
    t0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    message = add_message("Re: offer", "I need a few more days to decide.", "status_check")
    operations.move(db_session, message, recruiter, intent="offer_negotiation", now=t0)
    poisoned = operations.move(db_session, message, recruiter, intent="thank_you", now=t0 + timedelta(minutes=5))
    db_session.commit()
    corrections.withdraw(db_session, poisoned.id, admin, t0 + timedelta(days=1))
    db_session.commit()
    assert [(r.intent, len(r.correction_ids)) for r in corrections.export(db_session)] == [("offer_negotiation", 1)]


def test_a_retrain_leaves_withdrawn_corrections_out(
    settings, database, db_session, trained, models_dir, add_message, correct, make_user
):
    from triage.classifier import corrections

    ship(models_dir, trained["good"])
    rows = [(e.subject, e.body, "other", e.intent) for e in take("corpus_b.jsonl", 1)]
    messages = correct(rows, add_message)
    admin = make_user("admin")
    for message in messages[:3]:
        [correction] = db_session.scalars(select(Correction).where(Correction.message_id == message.id))
        corrections.withdraw(db_session, correction.id, admin, datetime.now(UTC))
    db_session.commit()
    outcome = retrain.retrain(settings, database, per_label=PER_LABEL)
    assert outcome.corrections == len(messages) - 3


# --- the retrain queue ----------------------------------------------------------------------------
def test_a_retrain_waits_on_its_own_queue(redis_client):
    from triage.runtime import queues

    job, _ = retrain.enqueue(redis_client)
    assert (job.origin, job.id in queues.queue(redis_client, queues.RETRAIN).job_ids) == (queues.RETRAIN, True)


# --- pruning var/models ---------------------------------------------------------------------------
def fake_model(folder: Path, stem: str, retrained: bool) -> Path:
    """A stand-in artifact: pruning reads only names and sidecars, never the model itself."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.skops"
    path.write_bytes(b"not a model")
    meta = {"model_file": path.name, **({"retrain": {"corrections": 0}} if retrained else {})}
    path.with_suffix(".json").write_text(json.dumps(meta))
    return path


def test_pruning_keeps_active_previous_and_the_newest_trials(settings, trained, models_dir):
    ship(models_dir, trained["good"])
    models = store.store_dir(settings)
    for day in (1, 2, 3):
        fake_model(models, f"intent-2026-03-0{day}-000000", retrained=True)  # once active, now retired
    for day in range(1, 6):
        fake_model(models, f"intent-2026-04-0{day}-000000", retrained=False)  # `triage train` trials
    previous = models / "intent-2026-03-03-000000.skops"
    active = fake_model(models, "intent-2026-05-01-000000", retrained=True)
    store.activate(settings, active)
    store.prune(settings, keep=(active, previous))
    assert sorted(p.stem for p in models.glob("*.skops")) == [
        "intent-2026-03-03-000000",
        "intent-2026-04-03-000000",
        "intent-2026-04-04-000000",
        "intent-2026-04-05-000000",
        "intent-2026-05-01-000000",
    ]


def test_pruning_removes_the_sidecars_with_their_models(settings, trained, models_dir):
    ship(models_dir, trained["good"])
    models = store.store_dir(settings)
    fake_model(models, "intent-2026-03-01-000000", retrained=True)
    active = fake_model(models, "intent-2026-05-01-000000", retrained=True)
    store.activate(settings, active)
    store.prune(settings, keep=(active,))
    assert sorted(p.name for p in models.glob("intent-*")) == sorted([active.name, active.with_suffix(".json").name])


def test_pruning_never_removes_the_shipped_model(settings, trained, models_dir):
    shipped = ship(models_dir, trained["good"])
    models = store.store_dir(settings)
    copy = fake_model(models, shipped.stem, retrained=True)  # e.g. copied in by hand to pin it
    active = fake_model(models, "intent-2026-05-01-000000", retrained=True)
    store.activate(settings, active)
    store.prune(settings, keep=(active,))
    assert (shipped.is_file(), copy.is_file()) == (True, True)


def test_pruning_does_nothing_while_the_shipped_model_is_active(settings, trained, models_dir):
    ship(models_dir, trained["good"])
    old = fake_model(store.store_dir(settings), "intent-2026-03-01-000000", retrained=True)
    assert (store.prune(settings), old.is_file()) == ([], True)


def test_an_activation_prunes_retired_models_and_audits_it(settings, database, db_session, trained, models_dir):
    shipped = ship(models_dir, trained["swapped"])
    retired = fake_model(store.store_dir(settings), "intent-2026-03-01-000000", retrained=True)
    outcome = retrain.retrain(settings, database, per_label=PER_LABEL)
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "model.activate"))
    assert (
        outcome.activated,
        outcome.pruned,
        event.details["pruned"],
        retired.is_file(),
        shipped.is_file(),
        store.locate(settings).stem,
    ) == (True, [retired.stem], [retired.stem], False, True, outcome.candidate)
