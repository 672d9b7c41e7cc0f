"""The API's recommendation cards: each movie rendered as the catalog's summary, once per movie instance."""

from __future__ import annotations

import pytest

from catalog.models import Movie
from catalog.serializers import MovieSummarySerializer
from recommender.rows import Card
from recommender.serializers import CardSerializer
from tests.factories import GenreFactory, MovieFactory

pytestmark = pytest.mark.django_db


def card(movie: Movie) -> Card:
    return Card(movie=movie, score=0.75, predicted_rating=4.25, reason="Because you rated Heat 5 stars")


def fetched(pk: int) -> Movie:
    return Movie.objects.prefetch_related("genres").get(pk=pk)


def test_a_card_shows_its_movie_exactly_as_the_catalog_summary_does():
    movie = fetched(MovieFactory(title="Heat", year=1995, genres=[GenreFactory(name="Crime")]).pk)

    rendered = CardSerializer([card(movie)], many=True).data

    assert rendered == [
        {
            "movie": MovieSummarySerializer(fetched(movie.pk)).data,
            "score": 0.75,
            "predicted_rating": 4.25,
            "reason": "Because you rated Heat 5 stars",
        }
    ]
    assert rendered[0]["movie"]["genres"] == [{"name": "Crime", "slug": "crime"}]


def test_a_shared_movie_is_rendered_once_and_an_edited_one_afresh(monkeypatch):
    # given a card movie shared by requests, as the per-process movie cache shares them
    movie = fetched(MovieFactory(title="Heat").pk)
    renders = []
    summary = MovieSummarySerializer.to_representation
    monkeypatch.setattr(
        MovieSummarySerializer, "to_representation", lambda self, m: renders.append(m.pk) or summary(self, m)
    )

    # when two requests show it
    first, second = (CardSerializer([card(movie)], many=True).data for _ in range(2))

    # then it was rendered once, and both show the same
    assert renders == [movie.pk]
    assert first == second

    # and once it is edited (the cache then holds a new instance), the new title shows
    Movie.objects.filter(pk=movie.pk).update(title="Heat (director's cut)")
    assert CardSerializer([card(fetched(movie.pk))], many=True).data[0]["movie"]["title"] == "Heat (director's cut)"
    assert renders == [movie.pk, movie.pk]
