"""The fast vectorizers must produce exactly what TfidfVectorizer produces."""

import json

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from triage import ROOT
from triage.classifier.features import prepare
from triage.classifier.vectorizers import CharTfidf, WordTfidf

SEED = ROOT / "models" / "corpus" / "seed.jsonl"
ODD = [
    "",
    "a",
    "zzzz qqqq",
    "thank you thank you thank you",
    "you thank",
    "Ünïcödé  naïve\u00a0café İstanbul ǅ ﬁ 🎉",
    "line\nbreak\ttab   spaces",
    "0000 00,000",
]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    rows = [json.loads(line) for line in SEED.read_text(encoding="utf-8").splitlines()]
    return prepare([(r["subject"], r["body"]) for r in rows])


def test_word_tfidf_equals_tfidf_vectorizer(texts):
    reference = TfidfVectorizer(
        ngram_range=(1, 2),
        min_df=2,
        max_features=500,
        sublinear_tf=True,
        token_pattern=r"(?u)\b\w+\b",
        dtype=np.float32,
    ).fit(texts)
    fast = WordTfidf(min_df=2, max_features=500).fit(texts)
    unseen = texts[::-1] + ODD
    assert abs(reference.transform(unseen) - fast.transform(unseen)).max() < 1e-6


def test_char_tfidf_equals_tfidf_vectorizer(texts):
    reference = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), min_df=2, max_features=3000, sublinear_tf=True, dtype=np.float32
    ).fit(texts)
    fast = CharTfidf(ngram_range=(2, 5), min_df=2, max_features=3000).fit(texts)
    unseen = texts[::-1] + ODD
    fast.transform(unseen[:10])  # a warm cache must not change the answer
    assert abs(reference.transform(unseen) - fast.transform(unseen)).max() < 1e-6


def test_char_tfidf_word_cache_is_not_persisted(texts):
    fast = CharTfidf(max_features=3000).fit(texts)
    fast.transform(texts)
    assert not {"_word_cache", "_vocabulary", "_analyze"} & set(fast.__getstate__())


def test_char_tfidf_one_message_at_a_time_equals_tfidf_vectorizer(texts):
    reference = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), min_df=2, max_features=3000, sublinear_tf=True, dtype=np.float32
    ).fit(texts)
    fast = CharTfidf(ngram_range=(2, 5), min_df=2, max_features=3000).fit(texts)
    worst = max(abs(reference.transform([t]) - fast.transform([t])).max() for t in texts[:40] + ODD)
    assert worst < 1e-6
