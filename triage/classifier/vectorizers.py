"""TF-IDF vectorizers equal to scikit-learn's TfidfVectorizer, with a faster transform."""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import chain, repeat
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.utils.validation import check_is_fitted

# Why hand-written: TfidfVectorizer.transform looks every n-gram up in a Python loop; for word
# 1-2 grams plus char_wb 2-5 grams that measured ~550 ms per 1,000 messages, far over the
# 5,000 msg/s budget. Fitting is left to CountVectorizer/TfidfTransformer and only transform is
# rewritten (C-level map/join, one sparse product), so the features equal TfidfVectorizer's;
# tests/test_classifier_vectorizers.py checks that they do.
# The vocabulary is kept as an array of terms, not a dict: skops writes a dict entry by entry
# (100,000 numpy scalars, ~100 MB of schema), an array as one .npy. The dict is rebuilt lazily.
_CACHE_LIMIT = 200_000
_FEW = 8  # at most this many messages: build counts directly, else via a sparse product
_TRANSIENT = ("_vocabulary", "_token_ids", "_word_cache")


class _FastTfidf(TransformerMixin, BaseEstimator):
    """Shared fitting: CountVectorizer + TfidfTransformer(sublinear_tf=True)."""

    def _count_vectorizer(self) -> CountVectorizer:
        raise NotImplementedError

    def fit(self, texts: Iterable[str], y: Any = None) -> _FastTfidf:
        self.fit_transform(texts)
        return self

    def fit_transform(self, texts: Iterable[str], y: Any = None) -> sp.csr_matrix:
        counter = self._count_vectorizer()
        counts = counter.fit_transform(texts)
        self.terms_ = counter.get_feature_names_out().astype(str)
        self.tfidf_ = TfidfTransformer(sublinear_tf=True)
        for name in _TRANSIENT:
            self.__dict__.pop(name, None)
        self._after_fit()
        return self.tfidf_.fit_transform(counts)

    def _after_fit(self) -> None:
        pass

    def _weight(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """TfidfTransformer(sublinear_tf=True).transform, minus its per-call input checks.

        Those checks cost more than the arithmetic for one message (the 2 ms budget).
        """
        counts.data = (np.log(counts.data) + 1) * self.tfidf_.idf_[counts.indices]
        rows = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
        norms = np.sqrt(np.bincount(rows, weights=counts.data.astype(np.float64) ** 2, minlength=counts.shape[0]))
        norms[norms == 0] = 1.0
        counts.data = (counts.data / norms[rows]).astype(np.float32)
        return counts

    @property
    def vocabulary(self) -> dict[str, int]:
        """term -> feature index, rebuilt from terms_ on first use."""
        vocabulary = self.__dict__.get("_vocabulary")
        if vocabulary is None:
            vocabulary = self._vocabulary = {term: i for i, term in enumerate(self.terms_.tolist())}
        return vocabulary

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return self.terms_.astype(object)

    def __getstate__(self) -> dict[str, Any]:
        # Lookup tables and caches are rebuilt on demand; persisting them only grows the file.
        state = super().__getstate__()
        for name in _TRANSIENT:
            state.pop(name, None)
        return state


class WordTfidf(_FastTfidf):
    """TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"\\b\\w+\\b")."""

    token_pattern = r"(?u)\b\w+\b"

    def __init__(self, min_df: int = 2, max_features: int | None = None):
        self.min_df = min_df
        self.max_features = max_features

    def _count_vectorizer(self) -> CountVectorizer:
        return CountVectorizer(
            analyzer="word",
            ngram_range=(1, 2),
            min_df=self.min_df,
            max_features=self.max_features,
            token_pattern=self.token_pattern,
            dtype=np.float32,
        )

    def _after_fit(self) -> None:
        """Number every token of the vocabulary; key each bigram feature by its token pair."""
        tokens: dict[str, int] = {}
        keys, features = [], []
        for feature, gram in enumerate(self.terms_.tolist()):
            ids = [tokens.setdefault(part, len(tokens)) for part in gram.split(" ")]
            if len(ids) == 2:
                keys.append(ids)
                features.append(feature)
        self.tokens_ = np.array(list(tokens), dtype=str)
        pairs = np.array(keys, dtype=np.int64).reshape(-1, 2)
        encoded = pairs[:, 0] * len(tokens) + pairs[:, 1]
        order = np.argsort(encoded)
        self.bigram_keys_ = encoded[order]
        self.bigram_features_ = np.array(features, dtype=np.int64)[order]

    def _token_lookup(self) -> dict[str, int]:
        token_ids = self.__dict__.get("_token_ids")
        if token_ids is None:
            token_ids = self._token_ids = {t: i for i, t in enumerate(self.tokens_.tolist())}
        return token_ids

    def transform(self, texts: Iterable[str]) -> sp.csr_matrix:
        return self.transform_with_coverage(texts)[0]

    def transform_with_coverage(self, texts: Iterable[str]) -> tuple[sp.csr_matrix, np.ndarray]:
        """The features, and per text the share of its tokens that are known words (0 if none)."""
        check_is_fitted(self, "tfidf_")
        find = re.compile(self.token_pattern).findall
        docs = [find(text.lower()) for text in texts]
        tokens = list(chain.from_iterable(docs))
        distinct = list(dict.fromkeys(tokens))
        column = {token: i for i, token in enumerate(distinct)}
        local = np.fromiter(map(column.__getitem__, tokens), dtype=np.int64, count=len(tokens))
        lookup, token_id = self.vocabulary.get, self._token_lookup().get
        unigram = np.fromiter(map(lookup, distinct, repeat(-1)), np.int64, len(distinct))[local]
        tid = np.fromiter(map(token_id, distinct, repeat(-1)), np.int64, len(distinct))[local]
        lengths = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
        doc = np.repeat(np.arange(len(docs)), lengths)
        # A bigram is two neighbouring tokens of the same message, both in the vocabulary.
        first, second = tid[:-1], tid[1:]
        ok = (doc[:-1] == doc[1:]) & (first >= 0) & (second >= 0)
        keys = first[ok] * len(self.tokens_) + second[ok]
        at = np.searchsorted(self.bigram_keys_, keys)
        at[at == len(self.bigram_keys_)] = 0
        hit = (self.bigram_keys_[at] == keys) if len(self.bigram_keys_) else np.zeros(len(keys), bool)
        rows = np.concatenate([doc[unigram >= 0], doc[:-1][ok][hit]])
        cols = np.concatenate([unigram[unigram >= 0], self.bigram_features_[at[hit]]])
        counts = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(len(docs), len(self.terms_)))
        counts.sum_duplicates()
        known = np.bincount(doc[unigram >= 0], minlength=len(docs))
        return self._weight(counts), known / np.maximum(lengths, 1)


class CharTfidf(_FastTfidf):
    """TfidfVectorizer(analyzer="char_wb", sublinear_tf=True), cached per word.

    char_wb n-grams never cross a word boundary, so a message's n-grams are its words'
    n-grams put together; words repeat, so each word is analysed once and cached.
    """

    def __init__(self, ngram_range: tuple[int, int] = (2, 5), min_df: int = 2, max_features: int | None = None):
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_features = max_features

    def _count_vectorizer(self) -> CountVectorizer:
        return CountVectorizer(
            analyzer="char_wb",
            ngram_range=tuple(self.ngram_range),
            min_df=self.min_df,
            max_features=self.max_features,
            dtype=np.float32,
        )

    def _wb_ngrams(self, word: str) -> list[str]:
        """CountVectorizer's char_wb n-grams of one lower-cased word, as one list.

        Same rule as scikit-learn's _char_wb_ngrams (a word shorter than n counts once, whole),
        written as slices; the equality test with TfidfVectorizer guards it.
        """
        padded = f" {word} "
        grams: list[str] = []
        for n in range(self.ngram_range[0], self.ngram_range[1] + 1):
            if len(padded) <= n:
                grams.append(padded)
                break
            grams.extend([padded[i : i + n] for i in range(len(padded) - n + 1)])
        return grams

    def _learn_words(self, words: list[str], cache: dict[str, np.ndarray]) -> None:
        """Cache the feature indices (repeats included: they count) of words not seen yet."""
        grams = [self._wb_ngrams(word) for word in words]
        flat = list(chain.from_iterable(grams))
        ids = np.fromiter(map(self.vocabulary.get, flat, repeat(-1)), np.int32, len(flat))
        ends = np.cumsum([len(g) for g in grams])[:-1]
        for word, found in zip(words, np.split(ids, ends)):
            cache[word] = found[found >= 0]

    def transform(self, texts: Iterable[str]) -> sp.csr_matrix:
        check_is_fitted(self, "tfidf_")
        cache = self.__dict__.setdefault("_word_cache", {})
        if len(cache) > _CACHE_LIMIT:
            cache.clear()  # a long-lived worker sees endless typos and names; stay bounded
        docs = [text.lower().split() for text in texts]
        tokens = list(chain.from_iterable(docs))
        distinct = list(dict.fromkeys(tokens))
        new = [word for word in distinct if word not in cache]
        if new:
            self._learn_words(new, cache)
        n_features = len(self.terms_)
        if len(docs) <= _FEW:
            # One row per message holding its words' n-gram indices, repeats included;
            # summing the duplicates turns them into counts (fewest objects for one message).
            rows = list(map(cache.__getitem__, tokens))
            indices = np.concatenate(rows) if rows else np.empty(0, np.int32)
            counts = sp.csr_matrix(
                (np.ones(len(indices), np.float32), indices, _row_ends(docs, rows)), shape=(len(docs), n_features)
            )
            counts.sum_duplicates()
            return self._weight(counts)
        # Many messages: (message x word counts) @ (word x n-gram counts), one sparse product;
        # sorting every message's n-grams (the route above) is 3x slower for 1,000 messages.
        column = {word: i for i, word in enumerate(distinct)}
        flat = np.fromiter(map(column.__getitem__, tokens), dtype=np.int32, count=len(tokens))
        doc_ends = np.concatenate(([0], np.cumsum(np.fromiter(map(len, docs), np.int64, len(docs)))))
        rows = list(map(cache.__getitem__, distinct))
        row_ends = np.concatenate(([0], np.cumsum(np.fromiter(map(len, rows), np.int64, len(rows)))))
        indices = np.concatenate(rows) if rows else np.empty(0, np.int32)
        ngrams = sp.csr_matrix((np.ones(len(indices), np.float32), indices, row_ends), shape=(len(rows), n_features))
        words = sp.csr_matrix((np.ones(len(flat), np.float32), flat, doc_ends), shape=(len(docs), len(rows)))
        return self._weight((words @ ngrams).tocsr())


def _row_ends(docs: list[list[str]], rows: list[np.ndarray]) -> np.ndarray:
    """indptr of a CSR whose row i holds the concatenated token rows of docs[i]."""
    token_ends = np.cumsum([len(d) for d in docs])
    ends = np.concatenate(([0], np.cumsum([len(r) for r in rows])))
    return ends[np.concatenate(([0], token_ends))]
