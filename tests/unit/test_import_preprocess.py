"""The import rules: rejections, duplicates, tags and links; no database involved."""

from __future__ import annotations

import numpy as np

from catalog.importers import VARIANTS
from catalog.importers.preprocess import dataset_clean
from catalog.importers.readers import Dataset, LinkRecord, MovieRecord, RatingColumns, TagRecord, UserRecord
from catalog.importers.report import ImportReport
from ratings.models import SCORES


def _dataset(ratings: list[tuple[int, int, float, int]], **extra) -> Dataset:
    users, movies, scores, times = zip(*ratings, strict=True) if ratings else ((), (), (), ())
    columns = RatingColumns(
        np.array(users, dtype=np.int64),
        np.array(movies, dtype=np.int64),
        np.array(scores, dtype=np.float64),
        np.array(times, dtype=np.int64),
    )
    movies_list = [MovieRecord(movie_id, f"Movie {movie_id}", 1995, None, ()) for movie_id in (1, 2, 3)]
    return Dataset(VARIANTS["ml-latest-small"], movies_list, columns, **extra)


def _clean(dataset: Dataset):
    report = ImportReport(variant="test")
    return dataset_clean(dataset=dataset, allowed_scores=SCORES, report=report), report


def _triples(ratings: RatingColumns) -> list[tuple[int, int, float]]:
    return list(zip(ratings.users.tolist(), ratings.movies.tolist(), ratings.scores.tolist(), strict=True))


def test_duplicates_keep_the_latest_timestamp_whatever_the_file_order():
    dataset = _dataset([(1, 1, 2.0, 200), (1, 1, 4.0, 100), (1, 1, 3.0, 150), (2, 1, 5.0, 10)])

    clean, report = _clean(dataset)

    assert _triples(clean.ratings) == [(1, 1, 2.0), (2, 1, 5.0)]
    assert report.duplicates == 2


def test_a_timestamp_tie_goes_to_the_later_line():
    clean, report = _clean(_dataset([(1, 1, 2.0, 100), (1, 1, 4.5, 100)]))

    assert _triples(clean.ratings) == [(1, 1, 4.5)]
    assert report.duplicates == 1


def test_scores_off_the_scale_and_unknown_movies_are_rejected_and_counted():
    dataset = _dataset(
        [(1, 1, 0.0, 1), (1, 2, 5.5, 1), (1, 3, -1, 1), (2, 1, 3.3, 1), (2, 2, 4.75, 1), (2, 9, 4.0, 1), (3, 3, 0.5, 1)]
    )

    clean, report = _clean(dataset)

    assert (report.out_of_range, report.off_step, report.unknown_movie) == (3, 2, 1)
    assert _triples(clean.ratings) == [(3, 3, 0.5)]
    assert report.ratings_read == 7


def test_a_rejected_rating_does_not_hide_an_older_valid_one():
    clean, report = _clean(_dataset([(1, 1, 4.0, 100), (1, 1, 9.0, 200)]))

    assert _triples(clean.ratings) == [(1, 1, 4.0)]
    assert (report.out_of_range, report.duplicates) == (1, 0)


def test_users_come_from_the_users_file_and_from_kept_ratings():
    dataset = _dataset(
        [(1, 1, 4.0, 1), (7, 1, 4.0, 1), (8, 9, 4.0, 1)], users=[UserRecord(1, 30, "F")], has_demographics=True
    )

    clean, report = _clean(dataset)

    assert sorted(user.movielens_id for user in clean.users) == [1, 7]  # 8 only rated an unknown movie
    assert report.missing["user profile (rated but not in the users file)"] == 1


def test_tags_are_counted_per_movie_and_name_and_unknown_movies_rejected():
    tags = [TagRecord(1, "funny"), TagRecord(1, "funny"), TagRecord(2, "funny"), TagRecord(9, "lost")]

    clean, report = _clean(_dataset([], tags=tags))

    assert clean.movie_tags == {(1, "funny"): 2, (2, "funny"): 1}
    assert (report.tags_read, report.tags_unknown_movie) == (4, 1)


def test_links_are_merged_into_their_movies():
    links = [LinkRecord(1, "tt0114709", 862), LinkRecord(2, "tt0112346", None), LinkRecord(42, "tt0000042", 42)]

    clean, report = _clean(_dataset([], links=links, has_links=True))

    movies = {movie.movielens_id: movie for movie in clean.movies}
    assert (movies[1].imdb_id, movies[1].tmdb_id) == ("tt0114709", 862)
    assert (movies[2].imdb_id, movies[2].tmdb_id) == ("tt0112346", None)
    assert (movies[3].imdb_id, movies[3].tmdb_id) == ("", None)
    assert report.ignored["links for a movie not in the movie list"] == 1


def test_an_empty_rating_file_is_fine():
    clean, report = _clean(_dataset([]))

    assert len(clean.ratings) == 0
    assert report.duplicates == 0


def test_the_summary_is_one_line_with_counts_and_seconds():
    report = ImportReport(variant="ml-100k", movies=1682, users=943, ratings=100000, seconds=2.345)

    assert report.summary() == (
        "Imported ml-100k: 1682 movies, 943 users, 100000 ratings, 0 tags in 2.3 s "
        "(rejected: 0 out of range, 0 off the half-star scale, 0 unknown movie; 0 duplicates dropped)"
    )
