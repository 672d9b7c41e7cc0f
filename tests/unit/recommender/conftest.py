"""The planted world that the serving and inspector tests share: two taste groups, models fitted on it for real.

The world has two taste groups: action fans rate Action movies high and Drama low,
drama fans the opposite. ``serving`` replaces ``active_models`` only to hand the fitted models to the services.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest

from catalog.models import Genre, Movie
from recommender import services
from recommender.algorithms import build
from recommender.algorithms.base import Recommender
from recommender.algorithms.content import ContentBased
from recommender.algorithms.knn import ItemKNN, ItemKNNConfig
from recommender.algorithms.popularity import Popularity
from recommender.data import interactions_from_db
from tests.factories import GenreFactory, MovieFactory, RatingFactory, UserFactory


@dataclass
class World:
    action: Genre
    drama: Genre
    comedy: Genre
    action_movies: list[Movie]
    drama_movies: list[Movie]
    comedy_movies: list[Movie]
    models: dict[str, dict[str, Recommender]] = field(default_factory=dict)

    def genre_of(self, movie: Movie) -> str:
        return "action" if movie in self.action_movies else "drama" if movie in self.drama_movies else "comedy"

    def drama_count(self, cards: list[services.Card]) -> int:
        return sum(self.genre_of(card.movie) == "drama" for card in cards)


@pytest.fixture
def world(db) -> World:
    """24 Action, 24 Drama and 6 Comedy movies; 10 action fans and 10 drama fans; "Action 0" is rated by everyone."""
    rng = np.random.default_rng(7)
    action, drama, comedy = (GenreFactory(name=name) for name in ("Action", "Drama", "Comedy"))
    action_movies = [MovieFactory(title=f"Action {i}", genres=[action]) for i in range(24)]
    drama_movies = [MovieFactory(title=f"Drama {i}", genres=[drama]) for i in range(24)]
    comedy_movies = [MovieFactory(title=f"Comedy {i}", genres=[comedy, drama]) for i in range(6)]
    for group, (liked, disliked) in enumerate(((action_movies, drama_movies), (drama_movies, action_movies))):
        for person in range(10):
            fan = UserFactory(username=f"fan{group}-{person}")
            for movie in rng.choice(liked[1:], size=10, replace=False):
                RatingFactory(user=fan, movie=movie, score=float(rng.choice([4.0, 4.5, 5.0])))
            for movie in rng.choice(disliked[1:], size=4, replace=False):
                RatingFactory(user=fan, movie=movie, score=float(rng.choice([1.0, 1.5, 2.0])))
            RatingFactory(user=fan, movie=comedy_movies[person % len(comedy_movies)], score=3.5)
            RatingFactory(user=fan, movie=action_movies[0], score=3.0)
    return World(action, drama, comedy, action_movies, drama_movies, comedy_movies)


@pytest.fixture
def serving(world, monkeypatch) -> World:
    """The world with popularity, item kNN, content and a blend of the two fitted on it, served as the active ones."""
    data = interactions_from_db()
    knn = {"neighbours": 10, "shrinkage": 0.0}
    world.models = {
        "collaborative": {
            "popularity": Popularity().fit(data),
            "item_knn": ItemKNN(ItemKNNConfig(**knn)).fit(data),
        },
        "content": {"content": ContentBased().fit(data)},
        # Equal weights (no search): everyone's latest rating here is "Action 0", so a learned blend would put
        # it first for everybody, and these tests are about the page, not about what the blend learns. On
        # percentiles: with z-scores over 54 movies, Top picks take every neighbour of the person's liked
        # movies and leave the Because rows nothing new to show.
        "blend": {
            "blend": build(
                "blend",
                components=["item_knn", "content"],
                overrides={"item_knn": knn},
                search_rounds=0,
                transform="percentile",
            ).fit(data)
        },
    }
    monkeypatch.setattr(services, "active_models", lambda family: world.models.get(family, {}))
    return world


@pytest.fixture
def no_models(world, monkeypatch) -> World:
    monkeypatch.setattr(services, "active_models", lambda family: {})
    return world


@pytest.fixture
def alice(world):
    """An action fan with four ratings; the newest is "Action 1", 5 stars."""
    person = UserFactory(username="alice")
    RatingFactory(user=person, movie=world.drama_movies[1], score=1.0)
    for movie, score in zip(world.action_movies[3:0:-1], (4.0, 4.5, 5.0), strict=True):
        RatingFactory(user=person, movie=movie, score=score)
    return person
