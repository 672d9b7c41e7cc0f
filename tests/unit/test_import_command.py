"""``manage.py import_movielens`` end to end, on small files in every format and on the real ml-100k."""

from __future__ import annotations

from datetime import UTC, datetime
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from catalog.importers import loader
from catalog.importers.signals import movielens_imported
from catalog.models import Genre, Movie, MovieTag, Tag
from ratings.models import Profile, Rating
from tests.factories import GenreFactory, MovieFactory, ProfileFactory, RatingFactory, UserFactory
from tests.movielens_samples import CSV_RATINGS, write_csv, write_ml1m, write_ml10m, write_ml100k, zip_folder

pytestmark = pytest.mark.django_db

User = get_user_model()


def _import(variant: str, path, *args: str) -> str:
    out = StringIO()
    call_command("import_movielens", variant, "--path", str(path), *args, stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    return {
        "movies": Movie.objects.count(),
        "genres": Genre.objects.count(),
        "movie genres": Movie.genres.through.objects.count(),
        "users": User.objects.count(),
        "profiles": Profile.objects.count(),
        "ratings": Rating.objects.count(),
        "tags": Tag.objects.count(),
        "movie tags": MovieTag.objects.count(),
    }


def _snapshot() -> dict[str, object]:
    """Counts plus every rating's score and time: 'unchanged' means these are identical."""
    ratings = sorted(Rating.objects.values_list("user_id", "movie_id", "score", "created", "updated"))
    movies = sorted(Movie.objects.values_list("movielens_id", "title", "year", "imdb_id", "tmdb_id", "updated"))
    return {**_counts(), "rating rows": ratings, "movie rows": movies}


def _score(movielens_user: int, movielens_movie: int) -> float:
    return Rating.objects.get(user__username=f"ml_{movielens_user}", movie__movielens_id=movielens_movie).score


def test_ml100k_files(tmp_path):
    output = _import("ml-100k", write_ml100k(tmp_path))

    assert _counts() | {"tags": 0} == {
        "movies": 4,
        "genres": 3,
        "movie genres": 4,
        "users": 3,
        "profiles": 3,
        "ratings": 5,
        "tags": 0,
        "movie tags": 0,
    }
    assert "Imported ml-100k: 4 movies, 3 users, 5 ratings, 0 tags in " in output
    assert "(rejected: 1 out of range, 0 off the half-star scale, 1 unknown movie; 1 duplicates dropped)" in output
    assert "Missing or unusable values (kept as null or blank): " in output

    miserables = Movie.objects.get(movielens_id=2)
    assert (miserables.title, miserables.year, miserables.sort_title) == ("Les Misérables", 1995, "miserables")
    unknown = Movie.objects.get(movielens_id=3)
    assert (unknown.title, unknown.year, unknown.release_date, unknown.genres.count()) == ("unknown", None, None, 0)
    matrix = Movie.objects.get(movielens_id=4)
    assert sorted(matrix.genres.values_list("name", flat=True)) == ["Action", "Drama"]
    assert not Genre.objects.filter(name="unknown").exists()

    person = User.objects.get(username="ml_1")
    assert not person.has_usable_password()
    assert (person.profile.movielens_id, person.profile.age, person.profile.gender) == (1, 24, "M")
    assert (person.profile.occupation, person.profile.zip_code) == ("technician", "85711")
    assert Profile.objects.get(movielens_id=3).age is None

    # the later of the two (1, 1) ratings wins, with its own time
    rating = Rating.objects.get(user=person, movie__movielens_id=1)
    assert rating.score == 5.0
    assert rating.created == datetime(1997, 12, 4, 15, 55, 49, tzinfo=UTC) == datetime.fromtimestamp(881250949, UTC)


def test_ml1m_files(tmp_path):
    output = _import("ml-1m", write_ml1m(tmp_path))

    assert (Movie.objects.count(), User.objects.count(), Rating.objects.count()) == (3, 3, 4)
    assert "(rejected: 1 out of range, 1 off the half-star scale, 0 unknown movie; 0 duplicates dropped)" in output
    assert Movie.objects.get(movielens_id=2).title == "Les Misérables"
    profile = Profile.objects.get(movielens_id=1)
    assert (profile.gender, profile.age, profile.occupation, profile.zip_code) == ("F", 1, "K-12 student", "48067")
    assert Profile.objects.get(movielens_id=2).age == 56
    assert Genre.objects.filter(name="Children's", slug="childrens").exists()


def test_ml10m_files_as_the_archive_unpacks_them(tmp_path):
    # Given the parent of ml-10M100K/, the folder the official zip unpacks to
    output = _import("ml-10m", write_ml10m(tmp_path))

    assert (Movie.objects.count(), User.objects.count(), Rating.objects.count()) == (3, 2, 4)
    assert "Imported ml-10m: 3 movies, 2 users, 4 ratings" in output
    assert _score(1, 2) == 3.5 and _score(2, 1) == 0.5
    assert dict(MovieTag.objects.values_list("movie__movielens_id", "count")) == {1: 2, 2: 1}
    assert Profile.objects.get(movielens_id=2).age is None  # ml-10m describes no one


def test_a_zipped_ml10m_from_path(tmp_path):
    archive = zip_folder(write_ml10m(tmp_path / "src") / "ml-10M100K", tmp_path / "ml-10m.zip", inner="ml-10M100K")

    _import("ml-10m", archive)

    assert Rating.objects.count() == 4


@pytest.mark.parametrize("variant", ["ml-20m", "ml-32m"])
def test_the_later_csv_releases(tmp_path, variant):
    output = _import(variant, write_csv(tmp_path))

    assert f"Imported {variant}: 4 movies, 3 users, 6 ratings" in output


def test_csv_files_with_tags_and_links(tmp_path):
    output = _import("ml-latest-small", write_csv(tmp_path))

    assert (Movie.objects.count(), User.objects.count(), Rating.objects.count()) == (4, 3, 6)
    assert "Imported ml-latest-small: 4 movies, 3 users, 6 ratings, 2 tags in " in output
    assert "(rejected: 1 out of range, 1 off the half-star scale, 1 unknown movie; 1 duplicates dropped)" in output

    assert Movie.objects.get(movielens_id=2).title == "The American President"
    no_year = Movie.objects.get(movielens_id=3)
    assert (no_year.title, no_year.year, no_year.genres.count()) == ("A Film Without a Year", None, 0)
    assert _score(1, 1) == 3.0
    assert _score(1, 2) == 3.0
    assert _score(1, 4) == 3.5
    assert _score(2, 1) == 4.5, "the later timestamp wins even when it comes first in the file"

    toy_story = Movie.objects.get(movielens_id=1)
    assert (toy_story.imdb_id, toy_story.tmdb_id) == ("tt0114709", 862)
    president = Movie.objects.get(movielens_id=2)
    assert (president.imdb_id, president.tmdb_id) == ("tt0112346", None)
    assert (no_year.imdb_id, no_year.tmdb_id) == ("", None)

    assert dict(MovieTag.objects.values_list("tag__name", "count")) == {"funny": 3, "politics, satire": 1}
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["funny", "politics, satire"]
    # the CSV variants have no demographics; the profile still records who the person is in MovieLens
    assert Profile.objects.get(user__username="ml_2").movielens_id == 2


def test_a_zip_passed_to_path(tmp_path):
    archive = zip_folder(write_csv(tmp_path / "files"), tmp_path / "ml-latest-small.zip", inner="ml-latest-small")

    output = _import("ml-latest-small", archive)

    assert "Imported ml-latest-small: 4 movies, 3 users, 6 ratings, 2 tags" in output
    assert Rating.objects.count() == 6


@pytest.mark.parametrize(
    ("variant", "writer"), [("ml-100k", write_ml100k), ("ml-1m", write_ml1m), ("ml-25m", write_csv)]
)
def test_running_twice_changes_nothing(tmp_path, variant, writer):
    folder = writer(tmp_path)
    _import(variant, folder)
    before = _snapshot()

    output = _import(variant, folder)

    assert _snapshot() == before
    assert "written: 0 new or changed" in output


def test_a_reimport_replaces_scores_and_genres_but_keeps_everything_else(tmp_path):
    _import("ml-latest-small", write_csv(tmp_path / "first"))
    stranger = UserFactory(username="alice")
    own_movie = MovieFactory(title="Home Movie", movielens_id=None)
    RatingFactory(user=stranger, movie=Movie.objects.get(movielens_id=1), score=1.0)
    profile = Profile.objects.get(user__username="ml_1")
    profile.favourite_genres.add(GenreFactory(name="Noir"))
    counts = _counts()

    changed = CSV_RATINGS.replace("1,1,3,964982703", "1,1,4.0,964990000")
    movies = 'movieId,title,genres\n1,Toy Story (1995),Comedy\n2,"American President, The (1995)",Drama\n'
    _import("ml-latest-small", write_csv(tmp_path / "second", **{"ratings.csv": changed, "movies.csv": movies}))

    assert _score(1, 1) == 4.0
    assert Rating.objects.get(user__username="ml_1", movie__movielens_id=1).created == datetime.fromtimestamp(
        964990000, UTC
    )
    assert list(Movie.objects.get(movielens_id=1).genres.values_list("name", flat=True)) == ["Comedy"]
    assert Rating.objects.get(user=stranger).score == 1.0
    assert Movie.objects.filter(pk=own_movie.pk).exists()
    assert list(profile.favourite_genres.values_list("name", flat=True)) == ["Noir"]
    assert Rating.objects.count() == counts["ratings"]


@pytest.mark.parametrize(
    ("variant", "writer", "file", "text", "message"),
    [
        (
            "ml-100k",
            write_ml100k,
            "u.data",
            "1\t1\t5\t881250949\n2\t1\n",
            "u.data line 2: expected 4 tab-separated fields, got 2",
        ),
        ("ml-100k", write_ml100k, "u.item", "1|Toy Story (1995)|01-Jan-1995||url|0|0|1\n", "u.item line 1: expected 9"),
        (
            "ml-1m",
            write_ml1m,
            "ratings.dat",
            "1::1::5::978300760\n1::2::three::978300760\n",
            "ratings.dat line 2: rating 'three'",
        ),
        (
            "ml-latest-small",
            write_csv,
            "ratings.csv",
            "userId,movieId,rating,timestamp\nabc,1,3,1\n",
            "ratings.csv line 2: user id 'abc'",
        ),
        (
            "ml-latest-small",
            write_csv,
            "links.csv",
            "movieId,imdbId,tmdbId\n1,0114709,862\n2,0112346\n",
            "links.csv line 3: expected 3",
        ),
    ],
)
def test_a_malformed_file_stops_the_import_and_leaves_the_database_as_it_was(
    tmp_path, variant, writer, file, text, message
):
    _import(variant, writer(tmp_path / "good"))
    before = _snapshot()

    with pytest.raises(CommandError) as raised:
        _import(variant, writer(tmp_path / "bad", **{file: text}))

    assert str(raised.value).startswith(message)
    assert _snapshot() == before


def test_a_failure_while_writing_rolls_everything_back(tmp_path, monkeypatch):
    _import("ml-100k", write_ml100k(tmp_path / "good"))
    before = _snapshot()
    more = "1\t4\t4\t881259999\n9\t1\t3\t881259999\n"

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(loader, "_tags_upsert", broken)
    with pytest.raises(RuntimeError):
        _import("ml-100k", write_ml100k(tmp_path / "more", **{"u.data": more}))

    assert _snapshot() == before


def test_an_empty_database_gets_nothing_from_a_malformed_file(tmp_path):
    with pytest.raises(CommandError, match=r"u\.user line 2"):
        _import("ml-100k", write_ml100k(tmp_path, **{"u.user": "1|24|M|technician|85711\n2|53|F\n"}))

    assert set(_counts().values()) == {0}


def test_a_user_who_rated_but_is_not_in_the_users_file_is_still_created(tmp_path):
    _import("ml-100k", write_ml100k(tmp_path, **{"u.data": "1\t1\t5\t881250949\n42\t2\t4\t881250950\n"}))

    assert Profile.objects.get(user__username="ml_42").age is None
    assert User.objects.count() == 4


def test_quiet_prints_only_the_summary_and_verbosity_zero_nothing(tmp_path):
    folder = write_ml100k(tmp_path)

    quiet = _import("ml-100k", folder, "--quiet")
    silent = StringIO()
    call_command("import_movielens", "ml-100k", "--path", str(folder), verbosity=0, stdout=silent)

    assert quiet.strip().startswith("Imported ml-100k:")
    assert len(quiet.strip().splitlines()) == 1
    assert silent.getvalue() == ""


def test_without_path_the_movielens_dir_setting_is_used(tmp_path, settings):
    write_ml100k(tmp_path / "ml-100k")
    settings.MOVIELENS_DIR = tmp_path
    out = StringIO()

    call_command("import_movielens", "ml-100k", stdout=out)

    assert "Imported ml-100k: 4 movies" in out.getvalue()


def test_the_real_ml100k(ml100k_dir):
    output = _import("ml-100k", ml100k_dir, "--quiet")

    assert (Rating.objects.count(), User.objects.count(), Movie.objects.count()) == (100_000, 943, 1_682)
    assert Profile.objects.count() == 943
    assert Movie.objects.get(movielens_id=267).title == "unknown"
    assert "Imported ml-100k: 1682 movies, 943 users, 100000 ratings, 0 tags in " in output
    counts = _counts()

    _import("ml-100k", ml100k_dir, "--quiet")

    assert _counts() == counts


def test_the_movielens_identity_is_the_profile_field_never_the_username(tmp_path):
    # Given someone who signed up as "ml_1" before sign-up refused such names, and an account that staff linked
    # to MovieLens user 2 through the profile's dedicated field
    squatter = UserFactory(username="ml_1")
    linked = ProfileFactory(user=UserFactory(username="bob"), movielens_id=2).user

    _import("ml-100k", write_ml100k(tmp_path))

    # Then the squatter gets none of MovieLens user 1's ratings or demographics: user 1 is a new account
    assert not Rating.objects.filter(user=squatter).exists()
    assert not Profile.objects.filter(user=squatter).exists()
    person = Profile.objects.get(movielens_id=1).user
    assert person != squatter and person.username == "ml_1-2"
    assert not person.has_usable_password()
    # And the linked account is MovieLens user 2, with no second account made for them
    assert Profile.objects.get(movielens_id=2).user == linked
    assert not User.objects.filter(username="ml_2").exists()


def test_a_second_import_finds_its_people_by_profile_and_changes_nothing(tmp_path):
    folder = write_ml100k(tmp_path)
    _import("ml-100k", folder)
    people = sorted(Profile.objects.values_list("movielens_id", "user_id"))

    _import("ml-100k", folder)

    assert sorted(Profile.objects.values_list("movielens_id", "user_id")) == people
    assert User.objects.count() == len(people)


def test_listeners_hear_about_the_import_once_it_is_committed(tmp_path, django_capture_on_commit_callbacks):
    heard = []

    def receiver(sender, report, **kwargs):
        heard.append(report)

    movielens_imported.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            _import("ml-100k", write_ml100k(tmp_path))
    finally:
        movielens_imported.disconnect(receiver)

    assert [(report.variant, report.ratings) for report in heard] == [("ml-100k", 5)]
