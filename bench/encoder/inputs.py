"""The encoder's input text: the TF-IDF cleanup without its lower-casing and digit masking."""

from __future__ import annotations

import re

from triage.classifier.features import clean_subject, mask_placeholders, strip_courtesy, strip_history

MAX_LEN = 128
_URL = re.compile(r"(?:https?://|www\.)\S+")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def encoder_text(subject: str, body: str) -> str:
    """Subject and cleaned body; links and addresses masked, placeholders "[name]" (the tokenizer does casing)."""
    body = strip_courtesy(strip_history(body or ""))
    text = mask_placeholders(f"{clean_subject(subject or '')}\n{body}")
    text = _URL.sub(" link ", text)
    return _EMAIL.sub(" email ", text).replace("placeholdertoken", "[name]").strip()
