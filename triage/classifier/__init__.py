"""Intent classifier: load/save the scikit-learn Pipeline and its metadata; predict."""

from triage.classifier.artifact import load, load_active, save
from triage.classifier.corpus import LABELS, Example, read_corpus
from triage.classifier.model import IntentModel, Prediction, predict
from triage.classifier.train import train
from triage.classifier.versions import ModelError, ModelMismatch

__all__ = [
    "LABELS",
    "Example",
    "IntentModel",
    "ModelError",
    "ModelMismatch",
    "Prediction",
    "load",
    "load_active",
    "predict",
    "read_corpus",
    "save",
    "train",
]
