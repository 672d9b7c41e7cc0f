"""The admin: every page staff use loads, strangers are sent to log in, lists do not query per row."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import Genre, Movie
from ratings.models import Feedback, Rating
from tests.factories import (
    FeedbackFactory,
    GenreFactory,
    MovieFactory,
    MovieTagFactory,
    ProfileFactory,
    RatingFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog():
    """A little of everything, so list and change pages have rows and relations to show."""
    genres = [GenreFactory(name="Drama"), GenreFactory(name="Comedy")]
    movie = MovieFactory(title="Heat", year=1995, genres=genres)
    MovieTagFactory(movie=movie)
    person = UserFactory()
    ProfileFactory(user=person, movielens_id=7, age=30)
    rating = RatingFactory(user=person, movie=movie, score=4.5)
    feedback = FeedbackFactory(user=person, movie=movie, kind=Feedback.Kind.WATCHLIST)
    return {"movie": movie, "genre": genres[0], "rating": rating, "feedback": feedback, "user": person}


ADMIN_PAGES = [
    ("catalog", "movie", "movie"),
    ("catalog", "genre", "genre"),
    ("ratings", "rating", "rating"),
    ("ratings", "feedback", "feedback"),
    ("auth", "user", "user"),
]


@pytest.mark.parametrize(("app", "model", "key"), ADMIN_PAGES)
def test_staff_see_the_changelist_and_change_page(client, staff_user, catalog, app, model, key):
    client.force_login(staff_user)

    changelist = client.get(reverse(f"admin:{app}_{model}_changelist"))
    change = client.get(reverse(f"admin:{app}_{model}_change", args=[catalog[key].pk]))
    add = client.get(reverse(f"admin:{app}_{model}_add"))

    assert changelist.status_code == 200
    assert change.status_code == 200
    assert add.status_code == 200


def test_admin_search_and_filters_work(client, staff_user, catalog):
    client.force_login(staff_user)
    url = reverse("admin:catalog_movie_changelist")

    found = client.get(url, {"q": "heat"})
    decade = client.get(url, {"decade": "1990"})
    nonsense = client.get(url, {"decade": "nineties"})
    by_genre = client.get(url, {"genres__id__exact": catalog["genre"].pk})
    sorted_by_mean = client.get(url, {"o": "5"})

    assert found.status_code == decade.status_code == by_genre.status_code == sorted_by_mean.status_code == 200
    assert found.context["cl"].result_count == 1
    assert decade.context["cl"].result_count == 1
    assert nonsense.status_code == 200
    assert nonsense.context["cl"].result_count == 0
    assert client.get(reverse("admin:ratings_rating_changelist"), {"q": "heat"}).status_code == 200


def test_the_decade_filter_offers_each_decade_once_reading_a_row_per_year(client, staff_user):
    # given movies of three decades, two of them in the same year
    for title, year in (("Heat", 1995), ("Casino", 1995), ("Alien", 1979), ("Up", 2009), ("Undated", None)):
        MovieFactory(title=title, year=year)
    client.force_login(staff_user)

    with CaptureQueriesContext(connection) as queries:
        changelist = client.get(reverse("admin:catalog_movie_changelist"))

    # then the filter lists the decades newest first
    decade_filter = next(spec for spec in changelist.context["cl"].filter_specs if spec.parameter_name == "decade")
    assert [label for _, label in decade_filter.lookup_choices] == ["2000s", "1990s", "1970s"]
    # and the years are read distinct by year alone: the default ordering would make it one row per movie
    years = [query["sql"] for query in queries if "DISTINCT" in query["sql"] and '"year"' in query["sql"]]
    assert len(years) == 1 and "sort_title" not in years[0]


def test_the_movie_row_shows_genres_and_rating_figures(client, staff_user, catalog):
    client.force_login(staff_user)

    response = client.get(reverse("admin:catalog_movie_changelist"))

    content = response.content.decode()
    assert "Comedy, Drama" in content
    assert "4.50" in content


@pytest.mark.parametrize(("app", "model"), [(app, model) for app, model, _ in ADMIN_PAGES])
def test_people_who_are_not_staff_are_sent_to_the_admin_login(client, app, model):
    client.force_login(UserFactory())

    response = client.get(reverse(f"admin:{app}_{model}_changelist"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_anonymous_visitors_are_sent_to_the_admin_login(client):
    response = client.get(reverse("admin:catalog_movie_changelist"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def _movies(count: int) -> None:
    genres = [GenreFactory(name="Drama"), GenreFactory(name="Crime")]
    for index in range(count):
        movie = MovieFactory(year=1950 + index, genres=genres)
        RatingFactory(movie=movie, score=3.5)


def _changelist_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:catalog_movie_changelist"))
    assert response.status_code == 200
    return len(queries)


def test_the_movie_changelist_runs_the_same_queries_for_few_or_many_movies(
    client, staff_user, django_assert_max_num_queries
):
    client.force_login(staff_user)
    _movies(2)
    few = _changelist_queries(client)
    _movies(40)

    with django_assert_max_num_queries(few):
        response = client.get(reverse("admin:catalog_movie_changelist"))

    assert response.context["cl"].result_count == 42
    assert len(response.context["cl"].result_list) == 42
    assert Movie.objects.count() == 42 and Genre.objects.count() == 2 and Rating.objects.count() == 42


@pytest.mark.parametrize(("app", "model"), [("ratings", "rating"), ("ratings", "feedback"), ("auth", "user")])
def test_other_changelists_do_not_query_per_row(client, staff_user, app, model, django_assert_max_num_queries):
    client.force_login(staff_user)
    url = reverse(f"admin:{app}_{model}_changelist")
    for _ in range(2):
        FeedbackFactory(user=ProfileFactory().user, movie=RatingFactory().movie)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(20):
        FeedbackFactory(user=ProfileFactory().user, movie=RatingFactory().movie)

    with django_assert_max_num_queries(len(few)):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    ("permissions", "actions"),
    [
        (["recommender.view_modelversion"], set()),
        (["recommender.view_modelversion", "recommender.retrain_models"], {"retrain_now"}),
        (["recommender.view_modelversion", "recommender.activate_modelversion"], {"activate", "roll_back"}),
    ],
)
def test_model_version_actions_need_their_own_permissions(client, permissions, actions):
    # Given staff who hold only these permissions
    client.force_login(UserFactory(is_staff=True, permissions=permissions))

    # Then the changelist offers only the actions they hold the permission for
    page = client.get(reverse("admin:recommender_modelversion_changelist"))

    assert page.status_code == 200
    form = page.context["action_form"]  # None when no action is allowed
    offered = {name for name, _ in form.fields["action"].choices if name} if form else set()
    assert offered - {"delete_selected"} == actions


def test_a_view_only_staff_member_cannot_activate_a_rejected_version(client, monkeypatch):
    from recommender import admin as recommender_admin
    from recommender.models import ModelVersion

    activated = []
    monkeypatch.setattr(recommender_admin, "version_activate", lambda *, version: activated.append(version) or True)
    version = ModelVersion.objects.create(family="collaborative", status=ModelVersion.Status.REJECTED)
    client.force_login(UserFactory(is_staff=True, permissions=["recommender.view_modelversion"]))

    response = client.post(
        reverse("admin:recommender_modelversion_changelist"),
        {"action": "activate", "_selected_action": [version.pk]},
    )

    assert response.status_code in (200, 302)
    assert activated == []
    version.refresh_from_db()
    assert version.status == ModelVersion.Status.REJECTED


def test_staff_start_an_experiment_in_the_admin_one_at_a_time_and_stop_it_with_the_action(client, staff_user):
    from recommender.models import Experiment, Inspection, ModelVersion

    a, b = (ModelVersion.objects.create(family="blend", algorithms=["blend"], artifact_path=f"b/{n}") for n in (1, 2))
    unsaved = ModelVersion.objects.create(family="blend", algorithms=["blend"])
    client.force_login(staff_user)
    add = reverse("admin:recommender_experiment_add")

    form = client.get(add)
    started = client.post(add, {"name": "challenger", "kind": "split", "arm_a": a.pk, "arm_b": b.pk})
    second = client.post(add, {"name": "another", "kind": "interleave", "arm_a": b.pk, "arm_b": a.pk})
    no_artifact = client.post(add, {"name": "x", "kind": "split", "arm_a": a.pk, "arm_b": unsaved.pk})

    assert form.status_code == 200 and started.status_code == 302
    experiment = Experiment.objects.get()
    assert (experiment.status, experiment.created_by) == ("running", staff_user)
    assert "Another experiment is running" in second.content.decode() and no_artifact.status_code == 200
    changelist = reverse("admin:recommender_experiment_changelist")
    assert client.get(changelist).status_code == 200
    client.post(changelist, {"action": "stop", "_selected_action": [experiment.pk]})
    assert Experiment.objects.get().status == "stopped"
    assert client.get(reverse("admin:recommender_inspection_changelist")).status_code == 200
    assert not Inspection.objects.exists()
