"""One Intent: the classifier's labels, the inbox's intents and the shipped model's labels are its values."""

import json

import pytest

from triage import ROOT
from triage.classifier.corpus import LABELS
from triage.db.enums import Intent
from triage.inbox.operations import INTENTS

VALUES = [intent.value for intent in Intent]
SIDECARS = sorted((ROOT / "models").glob("intent-*.json"))


def test_classifier_labels_are_the_intent_values():
    assert list(LABELS) == VALUES


def test_inbox_intents_are_the_intent_values():
    assert list(INTENTS) == VALUES


def test_a_model_ships_with_a_sidecar():
    assert SIDECARS


@pytest.mark.parametrize("sidecar", SIDECARS, ids=lambda p: p.name)
def test_shipped_model_labels_are_the_intent_values(sidecar):
    assert json.loads(sidecar.read_text())["labels"] == VALUES
