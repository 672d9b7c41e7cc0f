"""Catalog API: search, filters, ordering, pagination, conditional GET, staff writes."""

from __future__ import annotations

import pytest

from catalog.models import Movie
from ratings.models import Feedback
from tests.factories import FeedbackFactory, GenreFactory, MovieFactory, RatingFactory

pytestmark = pytest.mark.django_db


def titles(response) -> list[str]:
    return [movie["title"] for movie in response.json()["results"]]


def test_search_filters_by_title_words_genre_and_years(api_client):
    # Given movies across genres and years
    scifi = GenreFactory(name="Sci-Fi", slug="sci-fi")
    drama = GenreFactory(name="Drama", slug="drama")
    MovieFactory(title="Star Wars", year=1977, genres=[scifi])
    MovieFactory(title="Star Trek: First Contact", year=1996, genres=[scifi])
    MovieFactory(title="A Star Is Born", year=1976, genres=[drama])
    MovieFactory(title="Alien", year=1979, genres=[scifi])

    # When searching for "star" in sci-fi from 1970 to 1980
    response = api_client.get("/api/v1/movies/", {"q": "star", "genre": "sci-fi", "year_min": 1970, "year_max": 1980})

    # Then only Star Wars matches, with its genres
    assert response.status_code == 200
    assert titles(response) == ["Star Wars"]
    assert response.json()["results"][0]["genres"] == [{"name": "Sci-Fi", "slug": "sci-fi"}]


def test_orderings_and_rating_statistics(api_client):
    # Given three movies: one rated by three people, one by one person with a 5, one unrated
    popular = MovieFactory(title="Popular", year=1990)
    RatingFactory.create_batch(3, movie=popular, score=4.0)
    lone = MovieFactory(title="Lone Five", year=2000)
    RatingFactory(movie=lone, score=5.0)
    MovieFactory(title="Unrated", year=1980)

    # When listing in each order
    orders = ("title", "year", "-year", "popularity", "-popularity")
    by = {order: titles(api_client.get("/api/v1/movies/", {"ordering": order})) for order in orders}
    detail = api_client.get(f"/api/v1/movies/{popular.pk}/").json()

    # Then each order is as documented, and the statistics are there
    assert by["title"] == ["Lone Five", "Popular", "Unrated"]
    assert by["year"] == ["Unrated", "Popular", "Lone Five"]
    assert by["-year"] == ["Lone Five", "Popular", "Unrated"]
    assert by["popularity"] == ["Unrated", "Lone Five", "Popular"]
    assert by["-popularity"] == ["Popular", "Lone Five", "Unrated"]
    assert (detail["rating_count"], detail["rating_mean"]) == (3, 4.0)


def test_best_rated_first_damps_a_lone_five(api_client):
    # Given a movie with three 4s, one with a single 5, and a flop pulling the overall mean down
    steady = MovieFactory(title="Steady")
    RatingFactory.create_batch(3, movie=steady, score=4.0)
    RatingFactory(movie=MovieFactory(title="Lone Five"), score=5.0)
    RatingFactory.create_batch(4, movie=MovieFactory(title="Flop"), score=1.0)

    # When listing best rated first
    response = api_client.get("/api/v1/movies/", {"ordering": "-rating"})

    # Then three 4s outrank one lone 5
    assert titles(response) == ["Steady", "Lone Five", "Flop"]


def test_pagination_pages_through_every_movie_once(api_client):
    # Given 25 movies
    MovieFactory.create_batch(25)

    # When reading pages of 10
    first = api_client.get("/api/v1/movies/", {"page_size": 10}).json()
    third = api_client.get("/api/v1/movies/", {"page_size": 10, "page": 3}).json()

    # Then the count is right, links lead on, and the last page holds the rest
    assert first["count"] == 25
    assert first["next"].endswith("page=2&page_size=10")
    assert len(third["results"]) == 5 and third["next"] is None


def test_a_page_past_the_end_is_404(api_client):
    MovieFactory()

    response = api_client.get("/api/v1/movies/", {"page": 9})

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"genre": "no-such-genre"}, "genre"),
        ({"year_min": "old"}, "year_min"),
        ({"year_min": 1990, "year_max": 1980}, "year_max"),
        ({"ordering": "budget"}, "ordering"),
        ({"q": "x" * 201}, "q"),
        ({"q": "a\x00b"}, "q"),
        ({"genre": "drama\x00"}, "genre"),
    ],
)
def test_bad_list_parameters_are_400_naming_the_parameter(api_client, params, field):
    response = api_client.get("/api/v1/movies/", params)

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_not_interested_movies_leave_my_list_but_still_open_by_id(user, api_as):
    # Given a movie I marked not interested
    hidden = MovieFactory(title="Hidden")
    MovieFactory(title="Shown")
    FeedbackFactory(user=user, movie=hidden, kind=Feedback.Kind.NOT_INTERESTED)
    api = api_as(user)

    # When I browse, and when I open it directly
    listed = api.get("/api/v1/movies/")
    detail = api.get(f"/api/v1/movies/{hidden.pk}/")

    # Then the list leaves it out but its page still opens
    assert titles(listed) == ["Shown"]
    assert detail.status_code == 200


def test_catalog_reads_answer_304_when_the_etag_still_matches(api_client):
    # Given a movie read once
    movie = MovieFactory()
    first = api_client.get(f"/api/v1/movies/{movie.pk}/")
    etag = first.headers["ETag"]

    # When read again with its ETag, and after the movie changed
    unchanged = api_client.get(f"/api/v1/movies/{movie.pk}/", HTTP_IF_NONE_MATCH=etag)
    RatingFactory(movie=movie, score=3.0)
    changed = api_client.get(f"/api/v1/movies/{movie.pk}/", HTTP_IF_NONE_MATCH=etag)

    # Then the first revalidation is a bodiless 304, the second a fresh 200 with a new tag; caches key by person
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert "Authorization" in first.headers["Vary"]
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


@pytest.mark.parametrize("url", ["/api/v1/movies/", "/api/v1/genres/"])
def test_lists_carry_etags_too(api_client, url):
    MovieFactory(genres=[GenreFactory()])

    etag = api_client.get(url).headers["ETag"]

    assert api_client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_genres_list_with_movie_counts(api_client):
    comedy = GenreFactory(name="Comedy", slug="comedy")
    MovieFactory.create_batch(2, genres=[comedy])
    GenreFactory(name="Western", slug="western")

    response = api_client.get("/api/v1/genres/")

    assert [(g["slug"], g["movie_count"]) for g in response.json()["results"]] == [("comedy", 2), ("western", 0)]


def test_staff_create_and_edit_a_movie(staff_user, api_as):
    # Given a genre and a staff member
    GenreFactory(name="Horror", slug="horror")
    api = api_as(staff_user)

    # When they add a movie, then correct its year and title
    created = api.post("/api/v1/movies/", {"title": "The Thing", "year": 1981, "genres": ["horror"]}, format="json")
    movie_id = created.json()["id"]
    edited = api.patch(f"/api/v1/movies/{movie_id}/", {"year": 1982, "title": "Thing, The"}, format="json")

    # Then the stored movie has the corrections and keeps its genre
    assert created.status_code == 201
    assert edited.status_code == 200
    assert edited.json()["genres"] == [{"name": "Horror", "slug": "horror"}]
    movie = Movie.objects.get(pk=movie_id)
    assert (movie.title, movie.year) == ("Thing, The", 1982)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"year": 1999}, "title"),
        ({"title": "Old", "year": 1500}, "year"),
        ({"title": "Odd", "genres": ["no-such-genre"]}, "genres"),
        ({"title": "Nul", "genres": ["horror\x00"]}, "genres"),
        ({"title": "Dup", "movielens_id": 7}, "movielens_id"),
    ],
)
def test_staff_bad_movie_input_is_400_naming_the_field(staff_user, api_as, body, field):
    MovieFactory(movielens_id=7)

    response = api_as(staff_user).post("/api/v1/movies/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert Movie.objects.count() == 1
