"""Read a MovieLens data set straight from its files into Interactions, for evaluation without a database.

Parsing and cleaning are the importer's (``catalog.importers.readers`` and ``preprocess``, both free of
Django), so a benchmark sees exactly the ratings and movies an import would store.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

from catalog.importers import VARIANTS, MalformedFile
from catalog.importers.errors import SourceUnavailable
from catalog.importers.preprocess import dataset_clean
from catalog.importers.readers import read_dataset
from catalog.importers.report import ImportReport
from recommender.algorithms.interactions import Interactions, ItemFeatures

#: The half-star scale the site stores (``ratings.models.SCORES``, restated to keep Django out of here).
SCORES = tuple(step / 2 for step in range(1, 11))
#: ml-100k ships five disjoint test folds u1.test .. u5.test, each with the complementary u1.base .. u5.base.
ML100K_FOLDS = 5

#: (user ids, movie ids) of the ratings a file lists.
Pairs = tuple[np.ndarray, np.ndarray]


def read_movielens(directory: Path | str, variant: str = "ml-100k") -> Interactions:
    """Every rating in ``directory``; the catalog is the whole movie list, with titles, genres, years and tags."""
    if variant not in VARIANTS:
        raise SourceUnavailable(f"unknown MovieLens variant {variant!r}; known: {', '.join(VARIANTS)}")
    dataset = read_dataset(VARIANTS[variant], Path(directory))
    clean = dataset_clean(dataset=dataset, allowed_scores=SCORES, report=ImportReport(variant=variant))
    movies = sorted(clean.movies, key=lambda movie: movie.movielens_id)
    tags: dict[int, dict[str, int]] = defaultdict(dict)
    for (movie_id, tag), count in clean.movie_tags.items():
        tags[movie_id][tag] = count
    features = ItemFeatures(
        titles=[movie.title for movie in movies],
        genres=[list(movie.genres) for movie in movies],
        years=np.array([np.nan if movie.year is None else movie.year for movie in movies], dtype=np.float64),
        tags=[tags.get(movie.movielens_id, {}) for movie in movies] if tags else [],
    )
    ratings = clean.ratings
    return Interactions.from_ids(
        ratings.users,
        ratings.movies,
        ratings.scores,
        ratings.timestamps.astype(np.float64),
        catalog=[movie.movielens_id for movie in movies],
        item_features=features,
    )


def read_ml100k_folds(directory: Path | str) -> list[tuple[Pairs, Pairs]]:
    """ml-100k's own five folds as (training pairs from uK.base, test pairs from uK.test), K = 1..5."""
    directory = Path(directory)
    return [
        (_read_pairs(directory / f"u{fold}.base"), _read_pairs(directory / f"u{fold}.test"))
        for fold in range(1, ML100K_FOLDS + 1)
    ]


def _read_pairs(path: Path) -> Pairs:
    """The (user id, movie id) columns of a tab-separated ratings file; the ratings themselves come from u.data."""
    if not path.is_file():
        raise SourceUnavailable(f"ml-100k: {path.name} not found in {path.parent}")
    users, movies = [], []
    with path.open(encoding="latin-1") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            fields = line.rstrip("\r\n").split("\t")
            if len(fields) != 4:
                raise MalformedFile(path.name, number, f"expected 4 tab-separated fields, got {len(fields)}")
            try:
                users.append(int(fields[0]))
                movies.append(int(fields[1]))
            except ValueError:
                raise MalformedFile(path.name, number, "user and movie ids must be whole numbers") from None
    return np.array(users, dtype=np.int64), np.array(movies, dtype=np.int64)
