"""Browse and live search, the movie page, the similar-movies finder, Insights and the error pages."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from catalog.tasks import insights_redraw_task
from tests.factories import FeedbackFactory, MovieFactory, RatingFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


def card_ids(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'class="movie-card[^"]*" id="card-\d+" data-movie="(\d+)"', html)]


# --- browse and search ---------------------------------------------------------------------------------------


def test_browse_is_a_full_page_and_htmx_gets_only_the_results(client, seed):
    page = client.get(reverse("catalog:browse"))
    partial = client.get(reverse("catalog:browse"), {"q": "alien"}, **HTMX)

    assert page.status_code == 200 and "<html" in page.content.decode() and 'role="search"' in page.content.decode()
    body = partial.content.decode()
    assert partial.status_code == 200 and "<html" not in body
    assert sorted(card_ids(body)) == sorted([seed.movie("Alien").pk, seed.movie("Aliens").pk])
    assert "HX-Request" in partial.headers["Vary"]


def test_search_needs_every_word(client, seed):
    body = client.get(reverse("catalog:browse"), {"q": "the god"}, **HTMX).content.decode()
    assert card_ids(body) == [seed.movie("The Godfather").pk]


def test_browse_filters_by_genre_and_years_and_sorts(client, seed):
    body = client.get(
        reverse("catalog:browse"), {"genre": "sci-fi", "year_min": 1980, "year_max": 1989, "sort": "title"}, **HTMX
    ).content.decode()
    titles = ["Akira", "Aliens", "Blade Runner", "Brazil", "Ghostbusters", "The Terminator"]
    assert card_ids(body) == [seed.movie(title).pk for title in titles]


def test_sort_by_popularity_and_by_damped_rating(client, seed):
    blockbuster, lone_five = MovieFactory(title="Blockbuster"), MovieFactory(title="Lone five")
    for person in seed.people:
        RatingFactory(user=person, movie=blockbuster, score=4.5)
    RatingFactory(user=seed.people[0], movie=lone_five, score=5.0)

    popular = card_ids(client.get(reverse("catalog:browse"), {"sort": "-popularity"}, **HTMX).content.decode())
    best = card_ids(client.get(reverse("catalog:browse"), {"sort": "-rating"}, **HTMX).content.decode())

    assert popular[0] == blockbuster.pk
    assert best[0] == blockbuster.pk, "one lone 5-star rating does not beat twelve 4.5s"


def test_browse_paginates(client, seed):
    first = client.get(reverse("catalog:browse"), {"sort": "title"}).content.decode()
    second = client.get(reverse("catalog:browse"), {"sort": "title", "page": 2}, **HTMX).content.decode()

    assert len(card_ids(first)) == 24 and len(card_ids(second)) == 12
    assert not set(card_ids(first)) & set(card_ids(second))
    assert "Page 2 of 2" in second and "page=1" in second and "sort=title" in second


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"year_min": "nineteen"}, "From year:"),
        ({"year_min": "1700"}, "From year:"),
        ({"year_min": "2000", "year_max": "1990"}, "To year: The end year must not be before the start year."),
        ({"genre": "western"}, "Genre: There is no such genre."),
        ({"sort": "loudest"}, "Sort:"),
        ({"page": "0"}, "Page:"),
        ({"page": "two"}, "Page:"),
        ({"page": "99"}, "Page: Page 99 does not exist; the last page is 2."),
        ({"page": "9" * 30}, "Page:"),
        ({"q": "x" * 101}, "Title:"),
    ],
)
def test_bad_browse_input_is_a_400_naming_the_field(client, seed, query, field):
    response = client.get(reverse("catalog:browse"), query)
    assert response.status_code == 400
    assert field in response.content.decode()


def test_bad_input_over_htmx_answers_a_small_alert(client, seed):
    response = client.get(reverse("catalog:browse"), {"year_max": "x"}, **HTMX)
    assert response.status_code == 400
    assert response.content.decode().startswith('<div class="form-errors" role="alert">')


def test_not_interested_movies_stay_out_of_my_search_until_undone(client, seed):
    person, alien = seed.people[0], seed.movie("Alien")
    FeedbackFactory(user=person, movie=alien, kind="not_interested")
    client.force_login(person)

    assert alien.pk not in card_ids(client.get(reverse("catalog:browse"), {"q": "alien"}, **HTMX).content.decode())
    client.post(reverse("ratings:feedback_remove"), {"movie": alien.pk, "kind": "not_interested"})
    assert alien.pk in card_ids(client.get(reverse("catalog:browse"), {"q": "alien"}, **HTMX).content.decode())


# --- movie page ------------------------------------------------------------------------------------------------


def test_movie_page_shows_details_stats_tags_and_similar_movies(client, seed):
    movie = seed.movie("The Matrix")
    response = client.get(movie.get_absolute_url())

    body = response.content.decode()
    assert response.status_code == 200
    assert "The Matrix" in body and "Action" in body and "Sci-Fi" in body
    assert "mean of" in body and '<svg class="chart"' in body
    assert 'id="similar-block"' in body and "Log in to rate it" in body
    assert movie.pk not in card_ids(body), "the movie itself is not among its similar movies"
    assert len(card_ids(body)) == len(set(card_ids(body)))


def test_movie_page_for_a_person_has_their_rating_and_controls(client, seed):
    person, movie = seed.people[0], MovieFactory(title="Fresh")
    RatingFactory(user=person, movie=movie, score=4.5)
    client.force_login(person)

    body = client.get(movie.get_absolute_url()).content.decode()

    pressed = re.search(
        r'value="4.5" class="half half-left on" title="4.5 stars, like your ([^"]+)" '
        r'data-hint="4.5 stars, like your \1" aria-label="Rate 4.5 stars" aria-pressed="true"',
        body,
    )
    assert pressed and "Fresh" in pressed.group(1)
    assert '<span class="stars-value">4.5</span>' in body
    assert 'class="feedback"' in body


def test_similar_tab_over_htmx_is_only_the_similar_block(client, seed):
    movie = seed.movie("Toy Story")
    response = client.get(movie.get_absolute_url(), {"similar": "content"}, **HTMX)

    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert body.lstrip().startswith('<div id="similar-block">')
    assert 'aria-selected="true" class="tab tab-active">Similar in content' in body
    assert card_ids(body) and movie.pk not in card_ids(body)


def test_unknown_similar_kind_is_a_400_and_unknown_movie_a_404(client, seed):
    response = client.get(seed.movies[0].get_absolute_url(), {"similar": "vibes"})
    assert response.status_code == 400 and "Similar movies:" in response.content.decode()
    missing = client.get(reverse("catalog:movie_detail", args=[999_999]))
    assert missing.status_code == 404 and "We could not find that page" in missing.content.decode()
    assert client.get(f"/movies/{'9' * 30}/").status_code == 404


# --- similar-movies finder --------------------------------------------------------------------------------------


def test_finder_suggests_titles_while_typing(client, seed):
    response = client.get(reverse("catalog:similar_finder"), {"q": "ali"}, **HTMX)

    body = response.content.decode()
    assert "<html" not in body and 'role="listbox"' in body
    assert f"?movie={seed.movie('Alien').pk}" in body and f"?movie={seed.movie('Aliens').pk}" in body


def test_finder_shows_similar_movies_for_the_picked_title(client, seed):
    movie = seed.movie("Alien")
    partial = client.get(reverse("catalog:similar_finder"), {"movie": movie.pk}, **HTMX).content.decode()
    page = client.get(reverse("catalog:similar_finder"), {"movie": movie.pk}).content.decode()

    assert "<html" not in partial and "Like <a" in partial and card_ids(partial)
    assert movie.pk not in card_ids(partial)
    assert "<html" in page and card_ids(page) == card_ids(partial)


def test_picking_a_suggestion_closes_the_suggestion_list(client, seed):
    movie = seed.movies[0]
    partial = client.get(reverse("catalog:similar_finder"), {"movie": movie.pk}, **HTMX).content.decode()

    emptied = re.search(r'<div id="suggestions"[^>]*hx-swap-oob="true"[^>]*>(.*?)</div>', partial, re.S)
    assert emptied and emptied.group(1).strip() == ""


def test_finder_without_javascript_lists_suggestions_on_the_page(client, seed):
    body = client.get(reverse("catalog:similar_finder"), {"q": "toy"}).content.decode()
    assert "<html" in body and f"?movie={seed.movie('Toy Story').pk}" in body


def test_finder_bad_movie_is_a_400(client, seed):
    response = client.get(reverse("catalog:similar_finder"), {"movie": "abc"})
    assert response.status_code == 400 and "Movie:" in response.content.decode()


# --- insights -------------------------------------------------------------------------------------------------


def test_insights_draws_every_chart(client, seed):
    body = client.get(reverse("insights")).content.decode()
    for key in ("distribution", "per-user", "per-movie", "genre-popularity", "genre-mean", "over-time"):
        assert f'id="chart-{key}"' in body
    for key in ("age", "gender", "occupation"):
        assert f'id="chart-{key}"' in body
    assert body.count("<svg") >= 9
    assert 'hx-get="/recommendations/models/"' in body


@pytest.fixture
def redraws(monkeypatch) -> list[dict]:
    """Insights redraws the page would have sent to a worker."""
    sent: list[dict] = []
    monkeypatch.setattr(insights_redraw_task, "apply_async", lambda **options: sent.append(options))
    return sent


def test_insights_are_cached_and_a_change_has_a_worker_redraw_them(
    client, seed, settings, redraws, django_assert_max_num_queries
):
    # given the charts were drawn, and redraws wait for nothing
    settings.INSIGHTS_REFRESH_SECONDS = 0
    client.get(reverse("insights"))
    with django_assert_max_num_queries(3):
        client.get(reverse("insights"))
    assert redraws == []

    # when a new rating lands and people visit
    RatingFactory(user=seed.people[0], movie=MovieFactory(title="Brand new"), score=0.5)
    first = client.get(reverse("insights")).content.decode()
    client.get(reverse("insights"))

    # then they see the last drawing, and one redraw was asked for between them
    assert "0.5★" not in first and "Drawn " in first
    assert len(redraws) == 1

    # when the worker redraws, the next visit shows the new rating
    insights_redraw_task()
    assert "0.5★" in client.get(reverse("insights")).content.decode(), "the redraw shows the new rating"


def test_a_young_drawing_is_shown_as_it_is_after_a_change(client, seed, settings, redraws):
    settings.INSIGHTS_REFRESH_SECONDS = 3600
    client.get(reverse("insights"))

    RatingFactory(user=seed.people[0], movie=MovieFactory(title="Brand new"), score=0.5)

    assert "0.5★" not in client.get(reverse("insights")).content.decode()
    assert redraws == []


def test_a_broker_that_cannot_take_the_redraw_leaves_it_to_a_later_visit(client, seed, settings, monkeypatch):
    settings.INSIGHTS_REFRESH_SECONDS = 0
    client.get(reverse("insights"))
    RatingFactory(user=seed.people[0], movie=MovieFactory(title="Brand new"), score=0.5)
    attempts = []

    def down(**options):
        attempts.append(options)
        raise ConnectionError("broker down")

    monkeypatch.setattr(insights_redraw_task, "apply_async", down)

    assert client.get(reverse("insights")).status_code == 200
    assert client.get(reverse("insights")).status_code == 200
    assert len(attempts) == 2, "the lock was let go, so the next visit asked again"


def test_model_comparison_without_models_says_how_to_get_them(client, db):
    partial = client.get(reverse("recommender:models"), **HTMX).content.decode()
    page = client.get(reverse("recommender:models")).content.decode()
    assert "<html" not in partial and "No trained models yet" in partial
    assert "<html" in page


def test_model_comparison_lists_versions_with_their_metrics(client, db):
    from recommender.models import ModelVersion

    ModelVersion.objects.create(
        family="collaborative",
        algorithms=["svd", "item_knn"],
        status="active",
        metrics={"svd": {"ndcg@10": 0.21, "rmse": 0.93}, "item_knn": {"ndcg@10": 0.25, "rmse": None}},
        fit_seconds=3.2,
        n_ratings=100_000,
    )
    body = client.get(reverse("recommender:models"), **HTMX).content.decode()
    assert "svd" in body and "item_knn" in body and "0.930" in body and "active" in body
    assert body.count("<svg") == 2, "NDCG@10 and RMSE charts (no HR@10 figures given)"


def test_model_comparison_shows_model_health_and_flags_a_version_that_narrows_what_people_see(client, db):
    from recommender.models import ModelVersion

    health = {"ndcg@10": 0.09, "coverage": 0.35, "gini": 0.80, "top1_share": 0.20, "novelty": 6.1, "diversity": 0.7}
    ModelVersion.objects.create(family="blend", algorithms=["blend"], status="active", metrics={"blend": health})
    ModelVersion.objects.create(
        family="blend", algorithms=["blend"], status="ready", metrics={"blend": {**health, "gini": 0.93}}
    )
    body = client.get(reverse("recommender:models"), **HTMX).content.decode()

    for column in ("Coverage", "Gini", "Top 1% share", "Novelty", "Diversity"):
        assert f'class="num">{column}</th>' in body
    assert "0.930" in body and "6.100" in body
    assert body.count("narrows what people see</span>") == 1  # the candidate, not the active version
    assert 'title="blend gini 0.930 vs active 0.800"' in body


def test_model_comparison_plots_the_training_curves_of_active_neural_models(client, db):
    from recommender.models import ModelVersion

    curve = {"loss": [0.9, 0.6, 0.45, 0.41], "validation_loss": [0.95, 0.8, 0.78, 0.79]}
    ModelVersion.objects.create(
        family="ncf", algorithms=["ncf"], status="active", metrics={"ncf": {"rmse": 0.92, "training_curve": curve}}
    )
    ModelVersion.objects.create(
        family="sequence", algorithms=["sequence"], status="retired", metrics={"sequence": {"training_curve": curve}}
    )
    body = client.get(reverse("recommender:models"), **HTMX).content.decode()

    assert "Training curves" in body and 'aria-label="ncf training loss per epoch"' in body
    assert "ncf v1: mean training loss per epoch, 4 epochs." in body
    assert "ncf v1: loss on the training holdout&#x27;s ratings after each epoch (the holdout fit), 4 epochs." in body
    assert "sequence training loss" not in body  # only what is served now


def test_model_comparison_lists_the_served_blend_first_with_its_error_and_the_measured_rows(client, db):
    from recommender.models import ModelVersion

    ModelVersion.objects.create(
        family="blend",
        algorithms=["blend"],
        status="active",
        metrics={"blend": {"ndcg@10": 0.0931, "ndcg@10_se": 0.0081, "hr@10": 0.17}},
        row_metrics={
            "top-picks": {"ndcg@10": 0.0931, "hr@10": 0.17, "users": 943},
            "hidden-gems": {"ndcg@10": 0.0012, "hr@10": 0.003, "ndcg@10_in_row": 0.1543, "users": 943},
        },
    )
    ModelVersion.objects.create(  # newer, but it serves no row on its own
        family="collaborative", algorithms=["item_knn"], status="active", metrics={"item_knn": {"ndcg@10": 0.0259}}
    )

    body = client.get(reverse("recommender:models"), **HTMX).content.decode()

    table = body[body.index("Every recent version") :]
    assert table.index(">blend <") < table.index(">item_knn <")
    assert "serves Top picks" in table and '0.093 <span class="muted">± 0.008</span>' in table
    rows = body[body.index("as measured") : body.index("Every recent version")]
    assert rows.index("Top picks for you") < rows.index("Hidden gems") and "0.154" in rows


# --- error pages ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "text"),
    [("500.html", "Something went wrong on our side"), ("400.html", "That request did not make sense")],
)
def test_error_pages_render_without_a_request(template, text):
    # Django renders these from its own handlers, with no request and no context processors.
    from django.template.loader import render_to_string

    assert text in render_to_string(template)
