"""``manage.py demo_setup``: import when empty, the two demo accounts, the demo's first ratings."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from catalog.importers import sources
from catalog.management.commands import demo_setup
from catalog.models import Movie
from ratings.models import Rating
from tests.movielens_samples import ML100K_GENRES, write_ml100k

pytestmark = pytest.mark.django_db

User = get_user_model()


def _many_movies(folder):
    """30 movies, movie n rated by n users, so 'popular' has an unambiguous order."""
    items = "".join(f"{n}|Movie {n} (1990)|01-Jan-1990||url|0|1|0|0\n" for n in range(1, 31))
    ratings = "".join(f"{user}\t{n}\t4\t88125{n:04d}\n" for n in range(1, 31) for user in range(1, n + 1))
    users = "".join(f"{user}|30|F|other|00000\n" for user in range(1, 31))
    return write_ml100k(folder, **{"u.genre": ML100K_GENRES, "u.item": items, "u.data": ratings, "u.user": users})


def _run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("demo_setup", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_first_run_imports_and_creates_the_accounts(tmp_path, settings):
    _many_movies(tmp_path / "ml-100k")
    settings.MOVIELENS_DIR = tmp_path

    out, _ = _run()

    assert Movie.objects.count() == 30
    admin = User.objects.get(username=demo_setup.ADMIN_USERNAME)
    assert admin.is_superuser and admin.is_staff
    assert admin.check_password(demo_setup.ADMIN_PASSWORD)
    demo = User.objects.get(username=demo_setup.DEMO_USERNAME)
    assert not demo.is_staff
    assert demo.check_password(demo_setup.DEMO_PASSWORD)
    rated = list(demo.ratings.values_list("movie__movielens_id", flat=True))
    assert len(rated) == demo_setup.DEMO_RATING_COUNT
    assert all(movie > 0 for movie in rated)
    assert "admin / movierec-admin" in out
    assert "demo  / movierec-demo" in out


def test_a_second_run_skips_the_import_and_changes_nothing(tmp_path, settings):
    _many_movies(tmp_path / "ml-100k")
    settings.MOVIELENS_DIR = tmp_path
    _run()
    ratings = sorted(Rating.objects.values_list("user_id", "movie_id", "score", "updated"))
    demo = User.objects.get(username="demo")
    demo.set_password("my-own-secret-99")
    demo.save()

    out, _ = _run()

    assert "import skipped" in out
    assert sorted(Rating.objects.values_list("user_id", "movie_id", "score", "updated")) == ratings
    assert User.objects.filter(username__in=["admin", "demo"]).count() == 2
    demo.refresh_from_db()
    assert demo.check_password("my-own-secret-99"), "an existing password is never reset"
    assert "no longer works" in out


def test_the_demo_ratings_are_the_same_every_time(tmp_path, settings):
    _many_movies(tmp_path / "ml-100k")
    settings.MOVIELENS_DIR = tmp_path
    _run()
    first = sorted(Rating.objects.filter(user__username="demo").values_list("movie__movielens_id", "score"))
    Rating.objects.filter(user__username="demo").delete()

    _run()

    assert sorted(Rating.objects.filter(user__username="demo").values_list("movie__movielens_id", "score")) == first


def test_without_data_or_network_it_explains_and_goes_on(tmp_path, settings, monkeypatch):
    settings.MOVIELENS_DIR = tmp_path
    monkeypatch.setattr(sources, "GROUPLENS_BASE_URL", "http://127.0.0.1:9/")

    out, err = _run()

    assert Movie.objects.count() == 0
    assert "could not be imported" in err
    assert "Cannot download http://127.0.0.1:9/ml-100k.zip.md5" in err
    assert f"{tmp_path / 'ml-100k'}/u.data" in err
    assert User.objects.filter(username__in=["admin", "demo"]).count() == 2
    assert "0 ratings" in out


def test_no_download_does_not_try_the_network(tmp_path, settings, monkeypatch):
    settings.MOVIELENS_DIR = tmp_path

    def no_network(*args, **kwargs):
        raise AssertionError("tried to download")

    monkeypatch.setattr(sources, "archive_download", no_network)

    _, err = _run("--no-download")

    assert "could not be imported" in err
    assert "tried to download" not in err
