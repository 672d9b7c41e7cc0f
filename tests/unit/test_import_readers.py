"""Parsing each MovieLens format into records; no database involved."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from catalog.importers import VARIANTS, MalformedFile, SourceUnavailable
from catalog.importers.readers import read_dataset
from tests.movielens_samples import (
    CSV_MOVIES,
    CSV_RATINGS,
    ML1M_RATINGS,
    ML100K_RATINGS,
    write_csv,
    write_ml1m,
    write_ml10m,
    write_ml100k,
)


def _movies(dataset):
    return {movie.movielens_id: movie for movie in dataset.movies}


def test_ml100k_titles_dates_genres_and_the_unknown_movie(tmp_path):
    dataset = read_dataset(VARIANTS["ml-100k"], write_ml100k(tmp_path))

    movies = _movies(dataset)
    assert (movies[1].title, movies[1].year, movies[1].release_date) == ("Toy Story", 1995, date(1995, 1, 1))
    assert movies[1].genres == ("Comedy",)
    # latin-1 title with a trailing article; a one-digit day in the date
    assert (movies[2].title, movies[2].release_date) == ("Les Misérables", date(1995, 2, 4))
    assert (movies[4].title, movies[4].genres) == ("The Matrix", ("Action", "Drama"))
    # "unknown" has no date and only the "unknown" pseudo-genre: imported with nulls and no genres
    assert (movies[3].title, movies[3].year, movies[3].release_date, movies[3].genres) == ("unknown", None, None, ())
    assert dataset.missing["movie release date"] == 1
    assert dataset.missing["movie year"] == 1


def test_ml100k_users_keep_demographics_and_count_blanks(tmp_path):
    dataset = read_dataset(VARIANTS["ml-100k"], write_ml100k(tmp_path))

    users = {user.movielens_id: user for user in dataset.users}
    assert (users[1].age, users[1].gender, users[1].occupation, users[1].zip_code) == (24, "M", "technician", "85711")
    assert (users[3].age, users[3].gender, users[3].occupation, users[3].zip_code) == (None, "", "", "")
    assert dataset.has_demographics
    assert dataset.missing["user age"] == 1


def test_ml100k_ratings_keep_file_order(tmp_path):
    dataset = read_dataset(VARIANTS["ml-100k"], write_ml100k(tmp_path))

    assert len(dataset.ratings) == ML100K_RATINGS.count("\n")
    assert dataset.ratings.users[:3].tolist() == [1, 1, 1]
    assert dataset.ratings.scores[:2].tolist() == [4.0, 5.0]
    assert dataset.ratings.timestamps[0] == 881250000


def test_ml1m_double_colon_separators_age_codes_and_occupations(tmp_path):
    dataset = read_dataset(VARIANTS["ml-1m"], write_ml1m(tmp_path))

    movies = _movies(dataset)
    assert movies[2].title == "Les Misérables"
    assert movies[3].title == "The American President"
    assert movies[1].genres == ("Animation", "Children's", "Comedy")
    users = {user.movielens_id: user for user in dataset.users}
    assert (users[1].gender, users[1].age, users[1].occupation) == ("F", 1, "K-12 student")
    assert (users[2].age, users[2].occupation) == (56, "self-employed")
    # an age code and an occupation code the README does not list are kept as blanks, and counted
    assert (users[3].age, users[3].occupation) == (None, "")
    assert dataset.missing["user age"] == 1
    assert dataset.missing["user occupation"] == 1
    assert len(dataset.ratings) == ML1M_RATINGS.count("\n")
    assert 3.3 in dataset.ratings.scores.tolist()


def test_ml10m_half_stars_tags_no_genres_and_no_users_file(tmp_path):
    dataset = read_dataset(VARIANTS["ml-10m"], write_ml10m(tmp_path) / "ml-10M100K")

    movies = _movies(dataset)
    assert movies[2].title == "Les Misérables"  # UTF-8, article first
    assert movies[1].genres == ("Adventure", "Animation", "Children", "Comedy", "Fantasy")
    assert movies[3].genres == () and movies[3].year == 2001
    assert dataset.ratings.scores.tolist() == [5.0, 3.5, 0.5, 4.0]
    assert dataset.users == [] and not dataset.has_demographics
    assert [(tag.movielens_id, tag.tag) for tag in dataset.tags] == [(1, "pixar"), (1, "pixar"), (2, "victor hugo")]
    assert dataset.ignored["blank tags"] == 1


def test_ml10m_in_latin_1_is_read_too(tmp_path):
    folder = tmp_path / "ml-10M100K"
    folder.mkdir()
    (folder / "movies.dat").write_bytes("2::Misérables, Les (1995)::Drama\n".encode("latin-1"))
    (folder / "ratings.dat").write_text("1::2::4.5::838985046\n")

    assert _movies(read_dataset(VARIANTS["ml-10m"], folder))[2].title == "Les Misérables"


def test_the_csv_releases_after_25m_use_the_csv_reader(tmp_path):
    for name in ("ml-20m", "ml-32m"):
        dataset = read_dataset(VARIANTS[name], write_csv(tmp_path / name))
        assert _movies(dataset)[2].title == "The American President" and dataset.has_links


def test_csv_quoted_titles_no_genres_half_stars_tags_and_links(tmp_path):
    dataset = read_dataset(VARIANTS["ml-latest-small"], write_csv(tmp_path))

    movies = _movies(dataset)
    assert movies[2].title == "The American President"
    assert movies[4].title == "Les Misérables"
    assert (movies[3].title, movies[3].year, movies[3].genres) == ("A Film Without a Year", None, ())
    assert dataset.missing["movie genres"] == 1
    assert dataset.ratings.scores[:3].tolist() == [3.0, 3.0, 3.5]
    assert len(dataset.ratings) == CSV_RATINGS.count("\n") - 1
    assert [tag.tag for tag in dataset.tags if tag.movielens_id == 1] == ["funny", "funny", "funny"]
    assert ("politics, satire" in {tag.tag for tag in dataset.tags}) is True
    assert dataset.ignored["blank tags"] == 1
    links = {link.movielens_id: link for link in dataset.links}
    assert (links[1].imdb_id, links[1].tmdb_id) == ("tt0114709", 862)
    assert (links[2].imdb_id, links[2].tmdb_id) == ("tt0112346", None)
    assert (links[3].imdb_id, links[3].tmdb_id) == ("", None)
    assert dataset.missing["TMDB id"] == 2
    assert dataset.has_links


def test_csv_tags_and_links_are_optional(tmp_path):
    dataset = read_dataset(VARIANTS["ml-25m"], write_csv(tmp_path, **{"tags.csv": None, "links.csv": None}))

    assert dataset.tags == []
    assert dataset.links == []
    assert not dataset.has_links


def test_a_missing_required_file_is_named(tmp_path):
    write_ml100k(tmp_path)
    (tmp_path / "u.item").unlink()

    with pytest.raises(SourceUnavailable, match=r"u\.item not found"):
        read_dataset(VARIANTS["ml-100k"], tmp_path)


@pytest.mark.parametrize(
    ("variant", "writer", "file", "text", "message"),
    [
        (
            "ml-100k",
            write_ml100k,
            "u.data",
            "1\t1\t5\t881250949\n\n1\t2\t3\n",
            "u.data line 3: expected 4 tab-separated fields, got 3",
        ),
        (
            "ml-100k",
            write_ml100k,
            "u.data",
            "1\t1\t5\t881250949\nx\t2\t3\t1\n",
            "u.data line 2: user id 'x' is not a whole number",
        ),
        ("ml-100k", write_ml100k, "u.data", "1\t1\tfive\t881250949\n", "u.data line 1: rating 'five' is not a number"),
        ("ml-100k", write_ml100k, "u.data", "1\t1\tnan\t881250949\n", "u.data line 1: rating 'nan' is not a number"),
        ("ml-100k", write_ml100k, "u.data", "1\t1\t4\tyesterday\n", "u.data line 1: timestamp 'yesterday' is not"),
        ("ml-100k", write_ml100k, "u.data", "1\t-4\t4\t881250949\n", "u.data line 1: movie id must be positive"),
        ("ml-100k", write_ml100k, "u.data", "1\t4\t4\t-5\n", "u.data line 1: timestamp -5 is not a time between"),
        (
            "ml-100k",
            write_ml100k,
            "u.item",
            "1|Toy Story (1995)|01-Jan-1995||url|0|0|1\n",
            "u.item line 1: expected 9 pipe-separated fields, got 8",
        ),
        (
            "ml-100k",
            write_ml100k,
            "u.item",
            "one|Toy Story (1995)|01-Jan-1995||url|0|0|1|0\n",
            "u.item line 1: movie id 'one' is not",
        ),
        (
            "ml-100k",
            write_ml100k,
            "u.item",
            "1|Toy Story (1995)|01-Jan-1995||url|0|0|yes|0\n",
            "u.item line 1: genre flags must be 0 or 1",
        ),
        (
            "ml-100k",
            write_ml100k,
            "u.user",
            "1|24|M|technician\n",
            "u.user line 1: expected 5 pipe-separated fields, got 4",
        ),
        ("ml-100k", write_ml100k, "u.genre", "Action|one\n", "u.genre line 1: genre index 'one' is not a whole number"),
        (
            "ml-1m",
            write_ml1m,
            "ratings.dat",
            "1::1::5::978300760\n1::2::3\n",
            "ratings.dat line 2: expected 4 '::'-separated fields, got 3",
        ),
        (
            "ml-1m",
            write_ml1m,
            "movies.dat",
            "1::Toy Story (1995)\n",
            "movies.dat line 1: expected 3 '::'-separated fields, got 2",
        ),
        (
            "ml-1m",
            write_ml1m,
            "users.dat",
            "u1::F::1::10::48067\n",
            "users.dat line 1: user id 'u1' is not a whole number",
        ),
        (
            "ml-latest-small",
            write_csv,
            "ratings.csv",
            "userId,movieId,rating,timestamp\n1,1,3\n",
            "ratings.csv line 2: expected 4 comma-separated fields, got 3",
        ),
        (
            "ml-latest-small",
            write_csv,
            "ratings.csv",
            "userId,movieId,rating,timestamp\n1,1,3,1\n1,x1,3,1\n",
            "ratings.csv line 3: movie id 'x1' is not",
        ),
        (
            "ml-latest-small",
            write_csv,
            "ratings.csv",
            "userId,movieId,rating,timestamp\n1,1,***,1\n",
            "ratings.csv line 2: rating '***' is not a number",
        ),
        (  # typed by pandas, then out of range: found by its place in the chunk
            "ml-latest-small",
            write_csv,
            "ratings.csv",
            "userId,movieId,rating,timestamp\n1,1,3,1\n1,2,3,1\n0,3,3,1\n",
            "ratings.csv line 4: user id must be positive, got 0",
        ),
        (
            "ml-latest-small",
            write_csv,
            "ratings.csv",
            "userId,movieId,rating,timestamp\n1,1,3,1\n1,2,3,99999999999999\n",
            "ratings.csv line 3: timestamp 99999999999999 is not a time",
        ),
        (
            "ml-latest-small",
            write_csv,
            "ratings.csv",
            "user,movie,rating,timestamp\n",
            "ratings.csv line 1: expected the header userId,movieId,rating,timestamp",
        ),
        ("ml-latest-small", write_csv, "movies.csv", CSV_MOVIES + '5,"Unclosed, The (1999),Drama\n', "movies.csv line"),
        (
            "ml-latest-small",
            write_csv,
            "links.csv",
            "movieId,imdbId,tmdbId\n1,tt0114709,862\n",
            "links.csv line 2: IMDb id 'tt0114709' is not",
        ),
        (
            "ml-latest-small",
            write_csv,
            "tags.csv",
            "userId,movieId,tag,timestamp\n1,1,funny\n",
            "tags.csv line 2: expected 4 comma-separated fields, got 3",
        ),
    ],
)
def test_malformed_lines_name_the_file_and_line(tmp_path, variant, writer, file, text, message):
    writer(tmp_path, **{file: text})

    with pytest.raises(MalformedFile) as raised:
        read_dataset(VARIANTS[variant], tmp_path)

    assert str(raised.value).startswith(message)
    assert raised.value.file == file


def test_invalid_utf8_in_a_csv_file_is_reported_with_its_line(tmp_path):
    write_csv(tmp_path)
    (tmp_path / "movies.csv").write_bytes(b"movieId,title,genres\n1,Caf\xe9 (1995),Drama\n")

    with pytest.raises(MalformedFile, match=r"movies\.csv line \d+: is not valid UTF-8"):
        read_dataset(VARIANTS["ml-latest-small"], tmp_path)


def test_progress_is_reported_for_every_rating_read(tmp_path):
    seen = []

    dataset = read_dataset(VARIANTS["ml-100k"], write_ml100k(tmp_path), progress=seen.append)

    assert sum(seen) == len(dataset.ratings)
    assert dataset.ratings.users.dtype == np.int64
