"""Turn parsed records into what may be written: reject, de-duplicate, aggregate, and count why. No Django here."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from catalog.importers.readers import Dataset, MovieRecord, RatingColumns, UserRecord
from catalog.importers.report import ImportReport


@dataclass
class CleanDataset:
    movies: list[MovieRecord]
    users: list[UserRecord]
    ratings: RatingColumns
    #: (movie movielens id, tag name) -> how many times the tag was applied.
    movie_tags: dict[tuple[int, str], int]
    has_links: bool
    has_demographics: bool


def dataset_clean(*, dataset: Dataset, allowed_scores: Iterable[float], report: ImportReport) -> CleanDataset:
    """Apply the import rules and record every count in ``report``.

    1. Links (imdb/tmdb ids) are merged into their movies; links for other movies are skipped.
    2. A rating whose score is not an allowed score is rejected: "out of range" when below the lowest or
       above the highest, "off step" otherwise (3.3). A rejected rating never counts as a duplicate.
    3. A rating for a movie not in the movie list is rejected.
    4. Several ratings of one movie by one user: the latest timestamp wins, a tie goes to the later line
       (the file's own order is the best evidence left of which came last).
    5. Users are those of the users file plus anyone with a kept rating.
    6. Tags are counted per (movie, tag); tags for movies not in the list are rejected.
    """
    report.missing.update(dataset.missing)
    report.ignored.update(dataset.ignored)

    movies = _movies_with_links(dataset, report)
    known_movies = np.fromiter((movie.movielens_id for movie in movies), dtype=np.int64, count=len(movies))

    ratings = dataset.ratings
    report.ratings_read = len(ratings)
    allowed = np.asarray(sorted(allowed_scores), dtype=np.float64)
    out_of_range = (ratings.scores < allowed[0]) | (ratings.scores > allowed[-1])
    off_step = ~out_of_range & ~np.isin(ratings.scores, allowed)
    unknown_movie = ~out_of_range & ~off_step & ~np.isin(ratings.movies, known_movies)
    report.out_of_range, report.off_step = int(out_of_range.sum()), int(off_step.sum())
    report.unknown_movie = int(unknown_movie.sum())
    kept = np.flatnonzero(~(out_of_range | off_step | unknown_movie))
    latest = _latest_per_user_and_movie(ratings.take(kept))
    report.duplicates = len(kept) - len(latest)
    clean_ratings = ratings.take(kept[latest])

    users = {user.movielens_id: user for user in dataset.users}
    rating_only = set(np.unique(clean_ratings.users).tolist()) - users.keys()
    if dataset.has_demographics and rating_only:
        report.missing["user profile (rated but not in the users file)"] += len(rating_only)
    users.update((user_id, UserRecord(user_id)) for user_id in sorted(rating_only))

    known = set(known_movies.tolist())
    movie_tags: Counter[tuple[int, str]] = Counter()
    for tag in dataset.tags:
        if tag.movielens_id in known:
            movie_tags[tag.movielens_id, tag.tag] += 1
        else:
            report.tags_unknown_movie += 1
    report.tags_read = len(dataset.tags)

    return CleanDataset(
        movies=movies,
        users=list(users.values()),
        ratings=clean_ratings,
        movie_tags=dict(movie_tags),
        has_links=dataset.has_links,
        has_demographics=dataset.has_demographics,
    )


def _movies_with_links(dataset: Dataset, report: ImportReport) -> list[MovieRecord]:
    if not dataset.links:
        return dataset.movies
    links = {link.movielens_id: link for link in dataset.links}
    unknown = links.keys() - {movie.movielens_id for movie in dataset.movies}
    if unknown:
        report.ignored["links for a movie not in the movie list"] += len(unknown)
    return [
        dataclasses.replace(movie, imdb_id=link.imdb_id, tmdb_id=link.tmdb_id)
        if (link := links.get(movie.movielens_id))
        else movie
        for movie in dataset.movies
    ]


def _latest_per_user_and_movie(ratings: RatingColumns) -> np.ndarray:
    """Indexes of the rows to keep: for each (user, movie) the latest timestamp, ties to the later row.

    They come back ordered by user and movie: inserting in key order keeps the database's unique index
    and the per-user timeline index appending instead of splitting pages all over the tree.
    """
    if not len(ratings):
        return np.empty(0, dtype=np.int64)
    # lexsort's last key is the primary one: group by user, then movie, then order by time, then by line.
    order = np.lexsort((np.arange(len(ratings)), ratings.timestamps, ratings.movies, ratings.users))
    users, movies = ratings.users[order], ratings.movies[order]
    last_of_group = np.ones(len(order), dtype=bool)
    last_of_group[:-1] = (users[1:] != users[:-1]) | (movies[1:] != movies[:-1])
    return order[last_of_group]
