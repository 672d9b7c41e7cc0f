"""The enrichment benchmark: content with TMDB's credits and overviews against the catalog alone, on the same people."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.models import Credit, Person
from recommender.data import interactions_from_db
from scripts.bench import enrichment
from tests.factories import GenreFactory, MovieFactory, RatingFactory, UserFactory

STORIES = {"Ann Heist": "A casino robbery planned by a crew of thieves", "Bo Wedding": "A wedding and a love story"}


@pytest.fixture
def enriched_site(db):
    """Two directors with ten films each, alike in everything MovieLens knows; each person a fan of one of them."""
    drama = GenreFactory(name="Drama")
    films = {}
    for tmdb_id, (director, story) in enumerate(STORIES.items(), start=1):
        person = Person.objects.create(name=director, tmdb_id=tmdb_id)
        # Titles of one word each that no other title shares: nothing but the credits and overviews tells them apart.
        films[director] = [
            MovieFactory(genres=[drama], overview=story, title=f"Film x{tmdb_id}{k:02d}") for k in range(10)
        ]
        for movie in films[director]:
            Credit.objects.create(movie=movie, person=person, role=Credit.Role.DIRECTOR)
    start = timezone.now() - timedelta(days=30)
    for number in range(24):
        fan, other = (films["Ann Heist"], films["Bo Wedding"])[:: 1 if number % 2 else -1]
        loved = [fan[(number + k) % 10] for k in range(5)]
        disliked = [other[(number + k) % 10] for k in range(2)]
        user = UserFactory()
        for minute, (movie, score) in enumerate([(m, 1.0) for m in disliked] + [(m, 5.0) for m in loved]):
            RatingFactory(user=user, movie=movie, score=score, created=start + timedelta(minutes=minute))
    return films


def test_only_what_enrichment_added_is_taken_out(enriched_site):
    features = interactions_from_db().item_features

    stripped = enrichment.catalog_only(features)

    assert enrichment.enriched(features).all() and not enrichment.enriched(stripped).any()
    assert stripped.genres == features.genres and stripped.titles == features.titles


def test_the_benchmark_measures_both_variants_on_the_enriched_held_out_movies(enriched_site, capsys):
    status = enrichment.main(["--seeds", "2"])

    out = capsys.readouterr().out
    assert status == 0, out
    assert "20 movies (20 enriched)" in out and "24 people measured" in out
    assert "best NDCG@10: with enrichment; no tie within 2 sd" in out


def test_a_database_with_nothing_enriched_is_refused(db, capsys):
    MovieFactory()

    assert enrichment.main([]) == 2
    assert "enrich_tmdb" in capsys.readouterr().err
