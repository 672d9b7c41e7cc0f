"""The synthetic MovieLens: the shape real data has, in the format the importer reads, the same for a seed."""

from __future__ import annotations

from io import StringIO

import numpy as np
import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from catalog.importers.synthetic import MIN_RATINGS, Shape, generate
from catalog.models import Movie
from ratings.models import Rating

SMALL = Shape(users=300, movies=3_000, ratings=30_000)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    directory = tmp_path_factory.mktemp("synthetic")
    return directory, generate(directory, SMALL, seed=3)


def test_it_has_the_requested_size_and_every_person_rates_at_least_twenty_movies_once(written):
    directory, counts = written
    ratings = pd.read_csv(directory / "ratings.csv")

    assert (counts["ratings"], counts["users"], counts["movies"]) == (30_000, 300, 3_000) == (
        len(ratings), ratings.userId.nunique(), len(pd.read_csv(directory / "movies.csv"))
    )  # fmt: skip
    per_person = ratings.groupby("userId").size()
    assert per_person.min() >= MIN_RATINGS and not ratings.duplicated(["userId", "movieId"]).any()
    assert set(ratings.rating.unique()) <= {x / 2 for x in range(1, 11)} and ratings.rating.nunique() == 10


def test_activity_and_popularity_are_heavy_tailed_and_time_only_moves_forward(written):
    directory, _ = written
    ratings = pd.read_csv(directory / "ratings.csv")
    per_person = ratings.groupby("userId").size().sort_values(ascending=False)
    per_movie = ratings.groupby("movieId").size().sort_values(ascending=False)

    assert per_person.iloc[:30].sum() > 3 * 30 / 300 * len(ratings)  # the top 10% of people rate >3x their share
    assert per_movie.iloc[:300].sum() > 3 * 300 / 3_000 * len(ratings)  # likewise the top 10% of movies
    assert ratings.groupby("userId").timestamp.apply(lambda s: s.is_monotonic_increasing).all()
    assert ratings.userId.is_monotonic_increasing  # sorted by person, as ml-25m


def test_taste_is_low_rank_so_a_persons_ratings_predict_their_others(written):
    directory, _ = written
    ratings = pd.read_csv(directory / "ratings.csv")
    # Person + movie means (the part a baseline gets) against the noise: the residual has real structure.
    means = ratings.rating.mean()
    user = ratings.groupby("userId").rating.transform("mean") - means
    movie = ratings.groupby("movieId").rating.transform("mean") - means
    baseline = np.sqrt(((ratings.rating - means - user - movie) ** 2).mean())
    assert baseline < 0.95 * ratings.rating.std()


def test_the_same_seed_writes_the_same_files(tmp_path):
    small = Shape(users=30, movies=100, ratings=900)
    generate(tmp_path / "a", small, seed=1)
    generate(tmp_path / "b", small, seed=1)

    for name in ("movies.csv", "ratings.csv", "tags.csv", "links.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


@pytest.mark.django_db
def test_the_importer_reads_it_as_ml_latest_links_and_tags_included(tmp_path):
    out = StringIO()
    call_command("generate_movielens", str(tmp_path), "--users", "40", "--movies", "120", "--ratings", "2000",
                 stdout=out)  # fmt: skip
    call_command("import_movielens", "ml-latest", "--path", str(tmp_path), stdout=StringIO())

    assert "Wrote 2,000 ratings by 40 people of 120 movies" in out.getvalue()
    assert Rating.objects.count() == 2000 and Movie.objects.count() == 120
    assert Movie.objects.exclude(imdb_id="").count() == 120


def test_an_impossible_shape_is_refused_naming_what_to_change(tmp_path):
    with pytest.raises(CommandError, match="ratings"):
        call_command("generate_movielens", str(tmp_path), "--users", "10", "--movies", "100", "--ratings", "50")
