"""A small, deterministic catalog with ratings for the page tests and the end-to-end tests.

Three dozen movies in six genres and a dozen people with a favourite genre
each: enough for every row, chart and similar-movies list to have something
to show, small enough to build in well under a second.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser

from catalog.models import Genre, Movie
from recommender.services import clear_caches
from tests.factories import GenreFactory, MovieFactory, MovieTagFactory, ProfileFactory, RatingFactory, UserFactory

GENRES = ("Drama", "Comedy", "Action", "Sci-Fi", "Romance", "Animation")
#: (title, year, genre names)
MOVIES: tuple[tuple[str, int, tuple[str, ...]], ...] = (
    ("Heat", 1995, ("Action", "Drama")),
    ("Toy Story", 1995, ("Animation", "Comedy")),
    ("The Matrix", 1999, ("Action", "Sci-Fi")),
    ("Casablanca", 1942, ("Drama", "Romance")),
    ("Groundhog Day", 1993, ("Comedy", "Romance")),
    ("Alien", 1979, ("Sci-Fi",)),
    ("Spirited Away", 2001, ("Animation",)),
    ("The Godfather", 1972, ("Drama",)),
    ("Die Hard", 1988, ("Action",)),
    ("Annie Hall", 1977, ("Comedy", "Romance")),
    ("Blade Runner", 1982, ("Sci-Fi", "Drama")),
    ("Finding Nemo", 2003, ("Animation", "Comedy")),
    ("Amelie", 2001, ("Comedy", "Romance")),
    ("Aliens", 1986, ("Action", "Sci-Fi")),
    ("Fargo", 1996, ("Drama", "Comedy")),
    ("Speed", 1994, ("Action",)),
    ("Titanic", 1997, ("Drama", "Romance")),
    ("Shrek", 2001, ("Animation", "Comedy")),
    ("Gattaca", 1997, ("Sci-Fi", "Drama")),
    ("The Apartment", 1960, ("Comedy", "Romance")),
    ("Ran", 1985, ("Drama", "Action")),
    ("Akira", 1988, ("Animation", "Sci-Fi")),
    ("Notting Hill", 1999, ("Comedy", "Romance")),
    ("Point Break", 1991, ("Action",)),
    ("Solaris", 1972, ("Sci-Fi", "Drama")),
    ("Ratatouille", 2007, ("Animation", "Comedy")),
    ("Before Sunrise", 1995, ("Drama", "Romance")),
    ("The Terminator", 1984, ("Action", "Sci-Fi")),
    ("Airplane!", 1980, ("Comedy",)),
    ("Vertigo", 1958, ("Drama",)),
    ("Brazil", 1985, ("Sci-Fi", "Comedy")),
    ("Princess Mononoke", 1997, ("Animation", "Action")),
    ("Roman Holiday", 1953, ("Romance", "Comedy")),
    ("Ghostbusters", 1984, ("Comedy", "Sci-Fi")),
    ("Rocky", 1976, ("Drama",)),
    ("Jaws", 1975, ("Action", "Drama")),
)
TAGS = ("classic", "quotable", "slow burn", "visually stunning", "twist ending")
OCCUPATIONS = ("student", "engineer", "artist", "educator", "writer")


@dataclass(frozen=True)
class Seed:
    genres: dict[str, Genre]
    movies: list[Movie]
    people: list[AbstractBaseUser]

    def movie(self, title: str) -> Movie:
        return next(movie for movie in self.movies if movie.title == title)


def seed_catalog(*, people: int = 12, ratings_each: int = 14, seed: int = 7) -> Seed:
    """Movies, genres, tags, people with profiles, and ratings that favour each person's favourite genre."""
    rng = random.Random(seed)
    genres = {name: GenreFactory(name=name) for name in GENRES}
    movies = [
        MovieFactory(title=title, year=year, genres=[genres[name] for name in names]) for title, year, names in MOVIES
    ]
    for index, movie in enumerate(movies):
        MovieTagFactory(movie=movie, tag__name=TAGS[index % len(TAGS)], count=1 + index % 4)
    persons = []
    for index in range(people):
        person = UserFactory(username=f"viewer{index}")
        ProfileFactory(
            user=person, age=18 + 4 * index, gender="FM"[index % 2], occupation=OCCUPATIONS[index % len(OCCUPATIONS)]
        )
        favourite = GENRES[index % len(GENRES)]
        for movie in rng.sample(movies, ratings_each):
            liked = any(genre.name == favourite for genre in movie.genres.all())
            score = rng.choice((4.0, 4.5, 5.0)) if liked else rng.choice((2.0, 2.5, 3.0, 3.5))
            RatingFactory(user=person, movie=movie, score=score)
        persons.append(person)
    # Ids are reused after a test's rollback, so a snapshot cached by an earlier test could look current.
    clear_caches()
    return Seed(genres=genres, movies=movies, people=persons)
