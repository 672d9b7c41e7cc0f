"""Content-based recommendations: TF-IDF item vectors from genres, tags (with the directors and cast of an
enriched catalog), title words, release year and the words of the overview, and a taste profile per person
built from what they rated.

Only the catalog's features are learned from, so a movie nobody has rated yet is scored like any other, and
a person is scored from their current ratings alone (one rating is enough).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Self

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction import DictVectorizer
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfTransformer
from sklearn.preprocessing import normalize

from recommender.algorithms.base import Config, Recommender, load_arrays, save_arrays, top_n
from recommender.algorithms.baseline import require_non_negative
from recommender.algorithms.interactions import History, Interactions, ItemFeatures

#: Words of two or more letters or digits, as scikit-learn's default token pattern finds them.
_WORD = re.compile(r"\w\w+")


@dataclass
class ContentConfig(Config):
    # Each feature family is TF-IDF weighted and L2-normalized on its own, then scaled by its weight, so a
    # family's pull does not depend on how many tokens it happens to have.
    genre_weight: float = 1.0
    tag_weight: float = 1.0
    title_weight: float = 0.5
    year_weight: float = 0.5
    #: The overview's words (stop words left out). Not measured: no catalog here has overviews (they come with
    #: TMDB enrichment), so it weighs as little as the title's words until a split of enriched movies says more.
    overview_weight: float = 0.5
    #: A person's ratings are centred on their mean pulled towards the global mean by this many ratings, so a
    #: single 5-star rating still says "more like this" and a 1-star one "less like this".
    center_damping: float = 5.0

    def __post_init__(self) -> None:
        weights = ("genre_weight", "tag_weight", "title_weight", "year_weight", "overview_weight")
        require_non_negative(self, *weights, "center_damping")
        if not any(getattr(self, name) for name in weights):
            raise ValueError("ContentConfig needs at least one feature family with a positive weight")


class ContentBased(Recommender):
    """Scores are the cosine between the person's taste profile and each movie's feature vector."""

    name = "content"
    config_class = ContentConfig
    estimates_ratings = False

    config: ContentConfig

    def fit(self, data: Interactions) -> Self:
        if data.item_features is None:
            raise ValueError(
                "content needs item features (titles, genres, years, tags): build the Interactions with item_features"
            )
        self.vectors = item_vectors(data.item_features, self.config)
        self.global_mean = data.global_mean
        self._set_items(data.item_ids)
        return self

    def score(self, history: History, items: np.ndarray | None = None) -> np.ndarray:
        positions, known = self.positions(items)
        profile = self.profile(history)
        norm = np.linalg.norm(profile)
        scores = np.zeros(len(self.item_ids)) if norm == 0 else self.vectors @ (profile / norm)
        return np.where(known, scores[positions], np.nan)

    def profile(self, history: History) -> np.ndarray:
        """The person's taste as a dense feature vector: the sum of their movies' vectors, each weighted by how
        far its rating is above (or below) the person's damped mean rating."""
        positions, ratings = self.history_positions(history)
        if len(positions) == 0:
            return np.zeros(self.vectors.shape[1])
        damping = self.config.center_damping
        center = (ratings.sum() + damping * self.global_mean) / (len(ratings) + damping)
        weights = ratings.astype(np.float64) - center
        return np.asarray(self.vectors[positions].T @ weights).ravel()

    def similar_items(self, item_id: int, n: int = 10) -> list[tuple[int, float]]:
        """The ``n`` movies whose feature vectors are closest (cosine) to ``item_id``'s; [] for an unknown id."""
        positions, known = self.positions(np.array([item_id]))
        if not known[0]:
            return []
        similarities = np.asarray((self.vectors @ self.vectors[positions[0]].T).todense()).ravel()
        similarities[positions[0]] = np.nan
        return top_n(self.item_ids, similarities, n)

    def save_state(self, directory: Path) -> None:
        vectors = self.vectors.tocsr()
        save_arrays(
            directory,
            item_ids=self.item_ids,
            global_mean=np.array(self.global_mean),
            data=vectors.data,
            indices=vectors.indices,
            indptr=vectors.indptr,
            shape=np.array(vectors.shape),
        )

    def load_state(self, directory: Path) -> None:
        arrays = load_arrays(directory)
        self.vectors = sp.csr_matrix(
            (arrays["data"], arrays["indices"], arrays["indptr"]), shape=tuple(arrays["shape"].tolist())
        )
        self.global_mean = float(arrays["global_mean"])
        self._set_items(arrays["item_ids"])


def item_vectors(features: ItemFeatures, config: ContentConfig) -> sp.csr_matrix:
    """One L2-normalized row per item: the weighted TF-IDF blocks of each feature family side by side.

    A family's terms are counted per item (tags by how often they were applied, with sublinear TF so a
    tag applied 50 times is not 50 times as telling), weighted by IDF over the catalog, and the block
    normalized per row before it is scaled by its weight.
    """
    families = (
        (config.genre_weight, [{genre.lower(): 1 for genre in genres} for genres in features.genres]),
        (config.tag_weight, [dict(tags) for tags in features.tags]),
        (config.title_weight, [_word_counts(title) for title in features.titles]),
        (config.year_weight, [_year_terms(year) for year in features.years]),
        (config.overview_weight, [_word_counts(text, ENGLISH_STOP_WORDS) for text in features.overviews]),
    )
    blocks = []
    for weight, documents in families:
        if weight == 0 or not any(documents):
            continue
        counts = DictVectorizer(dtype=np.float64).fit_transform(documents)
        blocks.append(weight * TfidfTransformer(sublinear_tf=True).fit_transform(counts))
    if not blocks:
        return sp.csr_matrix((len(features.titles), 0))
    return normalize(sp.hstack(blocks).tocsr())


def _word_counts(text: str, stop_words: frozenset[str] = frozenset()) -> dict[str, int]:
    return dict(Counter(word for word in _WORD.findall(text.lower()) if word not in stop_words))


def _year_terms(year: float) -> dict[str, int]:
    """The decade and the half-decade as terms, so films five years apart share a term and the rest of their decade."""
    if np.isnan(year):
        return {}
    year = int(year)
    return {f"decade:{year // 10 * 10}": 1, f"lustrum:{year // 5 * 5}": 1}
