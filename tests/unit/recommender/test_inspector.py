"""The recommendation inspector: a person's page as served with every model's scores, and a movie's audience."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ratings.choices import FeedbackKind
from ratings.models import Feedback, Rating
from recommender import inspector, services
from recommender.models import Inspection
from recommender.rows import percentiles
from recommender.views import ROW_LIMIT
from tests.factories import FeedbackFactory, UserFactory

pytestmark = pytest.mark.django_db

INSPECT = "recommender.inspect_recommendations"


@pytest.fixture(autouse=True)
def fresh_caches():
    services.clear_caches()
    yield
    services.clear_caches()


@pytest.fixture
def inspecting(client):
    staff = UserFactory(username="curator", is_staff=True, permissions=(INSPECT,))
    client.force_login(staff)
    return staff


def test_the_inspected_page_is_the_served_page_card_for_card_with_every_models_score(serving, alice):
    served = services.recommend_rows(user=alice, limit=ROW_LIMIT)

    page = inspector.person_page(alice, limit=ROW_LIMIT)

    shown = [row for row in page.rows if row.cards]
    assert [(row.key, row.title) for row in shown] == [(row.key, row.title) for row in served]
    for inspected, row in zip(shown, served, strict=True):
        assert [(c.movie_id, c.score, c.reason) for c in inspected.cards] == [
            (c.movie.pk, round(c.score, 4), c.reason) for c in row.cards
        ]
    assert page.models == ["collaborative / popularity", "collaborative / item_knn", "content / content",
                           "blend / blend", "blend / item_knn", "blend / content"]  # fmt: skip
    taste = services.taste_for(alice)
    top = page.rows[0].cards[0]
    position = int(taste.catalog.positions([top.movie_id])[0][0])
    blend = page.models.index("blend / blend")
    assert top.model_scores[blend] == pytest.approx(taste.scores(taste.models.blend)[position], abs=1e-4)
    assert top.blend_percentile == pytest.approx(percentiles(taste.blend_scores)[position], abs=1e-4)


def test_the_person_page_shows_the_ratings_seeds_and_snoozes_and_changes_nothing(client, inspecting, serving, alice):
    newest = Rating.objects.filter(user=alice).order_by("-created", "-id").first()
    FeedbackFactory(user=alice, movie=newest.movie, kind=FeedbackKind.NOT_A_SEED)
    FeedbackFactory(user=alice, movie=serving.drama_movies[7], kind=FeedbackKind.SNOOZED)
    before = [(row.key, [card.movie.pk for card in row.cards]) for row in services.recommend_rows(user=alice)]
    stored = (Rating.objects.count(), Feedback.objects.count())

    response = client.get(reverse("recommender:inspect_person", args=[alice.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "excluded as a seed" in body and "snoozed until" in body and serving.drama_movies[7].title in body
    assert [(row.key, [card.movie.pk for card in row.cards]) for row in services.recommend_rows(user=alice)] == before
    assert (Rating.objects.count(), Feedback.objects.count()) == stored
    visit = Inspection.objects.get()
    assert (visit.staff, visit.subject, visit.subject_id, visit.subject_label) == (
        inspecting,
        "person",
        alice.pk,
        "alice",
    )


def test_the_page_figures_compare_top_picks_with_the_site(serving, alice):
    figures = {figure.name: figure for figure in inspector.person_page(alice, limit=ROW_LIMIT).figures}

    assert figures["Novelty"].person > 0 and 0 <= figures["Diversity"].person <= 1
    assert figures["Ratings per movie shown"].person >= 1


def test_the_movie_page_lists_who_sees_it_where_and_its_neighbours(client, inspecting, serving, alice):
    top_picks = services.recommend_row(user=alice, key="top-picks", limit=ROW_LIMIT)
    movie = top_picks.cards[2].movie

    report = inspector.movie_report(movie, people=100, limit=ROW_LIMIT)
    response = client.get(reverse("recommender:inspect_movie", args=[movie.pk]))

    seen = {entry.person: entry for entry in report.audience}
    assert seen[alice].row == top_picks.title and seen[alice].position == 3
    assert report.checked == 21  # the 20 fans and alice: everyone who rated
    labels = [label for label, _ in report.neighbours]
    assert "collaborative / item_knn" in labels and "content / content" in labels
    assert all(movie.pk not in [item for item, _, _ in items] for _, items in report.neighbours)
    assert response.status_code == 200 and "alice" in response.content.decode()
    assert Inspection.objects.filter(subject="movie", subject_id=movie.pk).count() == 1


@pytest.mark.parametrize("people", ["0", "501", "many"])
def test_a_bad_audience_size_is_a_400_naming_it(client, inspecting, serving, people):
    response = client.get(reverse("recommender:inspect_movie", args=[serving.action_movies[0].pk]), {"people": people})

    assert response.status_code == 400 and "people" in response.content.decode()
    assert not Inspection.objects.exists()


def test_lookup_finds_people_and_movies(client, inspecting, serving, alice):
    response = client.get(reverse("recommender:inspector"), {"person": "ali", "movie": "Drama 1"})

    body = response.content.decode()
    assert reverse("recommender:inspect_person", args=[alice.pk]) in body
    assert reverse("recommender:inspect_movie", args=[serving.drama_movies[1].pk]) in body


@pytest.mark.parametrize(
    ("staff", "permissions", "shown"),
    [(True, (INSPECT,), True), (True, (), False), (False, (INSPECT,), False), (False, (), False)],
)
def test_the_inspector_link_shows_to_whom_the_inspector_opens(client, staff, permissions, shown):
    # The inspector is for staff with the permission (staff_permission_required): a link elsewhere leads nowhere,
    # and a person who is not staff costs no permission queries to lay out a page.
    person = UserFactory(is_staff=staff, permissions=permissions)
    client.force_login(person)
    link = f'href="{reverse("recommender:inspector")}"'
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("catalog:browse")).content.decode()
    assert (link in page) is shown
    assert staff or not any("auth_permission" in query["sql"] for query in queries.captured_queries)
    assert client.get(reverse("recommender:inspector")).status_code == (200 if shown else 403 if staff else 404)
