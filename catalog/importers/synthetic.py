"""A synthetic MovieLens in the ml-latest / ml-25m CSV format, at any size, from a seed.

The real 25M archive cannot be fetched everywhere (and may not be redistributed), so scale work needs data of
the same shape. What real MovieLens data has, this has too:

- every person has at least ``MIN_RATINGS`` ratings, and activity is heavy-tailed (a Pareto tail: a few people
  rate thousands of movies);
- popularity is heavy-tailed (Zipf over a shuffled order: a few movies take a large share of all ratings);
- taste is low-rank: rating = global mean + person bias + movie bias + person · movie factors + noise, rounded
  to half stars in 0.5..5, so collaborative models have signal to find;
- genres follow the movie's factors (movies alike in taste share genres), 1 to 3 per movie, MovieLens' names;
- each person's ratings have increasing timestamps, and the file is sorted by person, then time;
- tags (on some liked movies, words tied to the genre) and links (IMDb and TMDB ids) in their own files.

Written in chunks of people through pandas, so memory stays bounded by the chunk, whatever the size.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

#: MovieLens' genres (ml-latest), in its spelling.
GENRES = (
    "Action", "Adventure", "Animation", "Children", "Comedy", "Crime", "Documentary", "Drama", "Fantasy",
    "Film-Noir", "Horror", "IMAX", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
)  # fmt: skip
#: Tag words per genre, drawn for tags on liked movies.
TAG_WORDS = {
    "Action": "explosions", "Adventure": "epic", "Animation": "pixar", "Children": "family", "Comedy": "funny",
    "Crime": "heist", "Documentary": "true story", "Drama": "emotional", "Fantasy": "magic", "Film-Noir": "noir",
    "Horror": "scary", "IMAX": "visually stunning", "Musical": "great soundtrack", "Mystery": "twist ending",
    "Romance": "romantic", "Sci-Fi": "dystopia", "Thriller": "suspense", "War": "world war ii", "Western": "cowboys",
}  # fmt: skip
MIN_RATINGS = 20
#: The ml-25m shape: its people, movies and ratings.
ML25M = {"users": 162_541, "movies": 59_047, "ratings": 25_000_095}
FACTORS = 8
GLOBAL_MEAN = 3.5
NOISE = 0.6
#: People written per chunk.
CHUNK = 5_000
TAG_SHARE = 0.02
FIRST_TIME = 789_652_800  # 1995-01-09, as ml-25m's first rating
LAST_TIME = 1_574_327_703  # 2019-11-21, its last


@dataclass(frozen=True)
class Shape:
    users: int
    movies: int
    ratings: int

    def __post_init__(self) -> None:
        if self.users < 1 or self.movies < 2 * MIN_RATINGS:
            raise ValueError(f"movies: need at least {2 * MIN_RATINGS} movies and one person")
        if self.ratings < self.users * MIN_RATINGS:
            raise ValueError(f"ratings: {self.users} people need at least {self.users * MIN_RATINGS} ratings")
        if self.ratings > self.users * self.movies // 2:
            raise ValueError("ratings: more than half of every person-movie pair; use more people or movies")


def activity(shape: Shape, rng: np.random.Generator) -> np.ndarray:
    """Ratings per person: MIN_RATINGS plus a Pareto tail scaled so the total is ``shape.ratings``, at most half
    the catalog each."""
    tail = rng.pareto(1.2, shape.users)
    cap = shape.movies // 2
    extra = shape.ratings - shape.users * MIN_RATINGS
    low, high = 0.0, float(extra) / max(tail.sum(), 1e-9) * 4 + 1
    for _ in range(60):  # the scale whose capped total hits the target
        scale = (low + high) / 2
        total = np.minimum(MIN_RATINGS + np.floor(tail * scale), cap).sum()
        low, high = (scale, high) if total < shape.ratings else (low, scale)
    counts = np.minimum(MIN_RATINGS + np.floor(tail * high), cap).astype(np.int64)
    # Hand out what rounding left over (or take back what it overshot), one rating at a time to the most active.
    short = shape.ratings - counts.sum()
    order = np.argsort(-counts, kind="stable")
    step = 1 if short > 0 else -1
    index = 0
    while short != 0:
        person = order[index % len(order)]
        if MIN_RATINGS <= counts[person] + step <= cap:
            counts[person] += step
            short -= step
        index += 1
    return counts


def generate(
    directory: Path, shape: Shape, *, seed: int = 0, progress: Callable[[int, int], None] | None = None
) -> dict[str, int]:
    """Write movies.csv, ratings.csv, tags.csv and links.csv of ``shape`` into ``directory``; returns the counts."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    n = shape.movies
    factors = rng.normal(0, 1 / np.sqrt(FACTORS), (n, FACTORS))
    movie_bias = rng.normal(0, 0.35, n)
    popularity = 1.0 / np.arange(1, n + 1) ** 0.9
    popularity = rng.permutation(popularity / popularity.sum())
    years = np.clip(np.round(2019 - rng.exponential(18, n)), 1902, 2019).astype(int)
    prototypes = rng.normal(0, 1, (len(GENRES), FACTORS))
    affinity = factors @ prototypes.T + rng.normal(0, 0.3, (n, len(GENRES)))
    how_many = rng.choice([1, 2, 3], size=n, p=[0.35, 0.4, 0.25])
    ranked = np.argsort(-affinity, axis=1)
    genres = ["|".join(GENRES[g] for g in sorted(ranked[i, : how_many[i]])) for i in range(n)]
    ids = np.arange(1, n + 1)
    titles = [f"Synthetic Movie {i} ({y})" for i, y in zip(ids, years, strict=True)]
    movies = pd.DataFrame({"movieId": ids, "title": titles, "genres": genres})
    movies.to_csv(directory / "movies.csv", index=False, quoting=csv.QUOTE_MINIMAL)
    pd.DataFrame({"movieId": ids, "imdbId": [f"{100000 + i:07d}" for i in ids], "tmdbId": 1000 + ids}).to_csv(
        directory / "links.csv", index=False
    )

    counts = activity(shape, rng)
    top_genre = np.array([GENRES[g] for g in ranked[:, 0]])
    written = {"movies": n, "ratings": 0, "tags": 0, "users": shape.users}
    with (
        (directory / "ratings.csv").open("w", newline="") as ratings_out,
        (directory / "tags.csv").open("w", newline="") as tags_out,
    ):
        for start in range(0, shape.users, CHUNK):
            chunk = counts[start : start + CHUNK]
            ratings, tags = _people(start, chunk, factors, movie_bias, popularity, top_genre, rng)
            ratings.to_csv(ratings_out, index=False, header=start == 0)
            tags.to_csv(tags_out, index=False, header=start == 0)
            written["ratings"] += len(ratings)
            written["tags"] += len(tags)
            if progress is not None:
                progress(min(start + CHUNK, shape.users), shape.users)
    return written


def _people(
    start: int,
    counts: np.ndarray,
    factors: np.ndarray,
    movie_bias: np.ndarray,
    popularity: np.ndarray,
    top_genre: np.ndarray,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One chunk of people: their movies (by popularity, no repeats), ratings and times, and a few tags."""
    n = len(popularity)
    people = len(counts)
    # Draw with replacement, 50% extra, and keep each person's first distinct movies; top up the rare shortfall.
    owner = np.repeat(np.arange(people), (counts * 1.5).astype(np.int64) + 5)
    drawn = rng.choice(n, size=len(owner), p=popularity)
    key = np.unique(owner * n + drawn)
    owner, movie = key // n, key % n
    # np.unique sorted the movies within a person by id: keep a random subset of the right size.
    order = np.lexsort((rng.random(len(owner)), owner))
    owner, movie = owner[order], movie[order]
    first = np.searchsorted(owner, np.arange(people))
    rank = np.arange(len(owner)) - first[owner]
    keep = rank < counts[owner]
    owner, movie = owner[keep], movie[keep]
    missing = counts - np.bincount(owner, minlength=people)
    for person in np.flatnonzero(missing > 0):  # rare: a person past the draw's distinct movies
        have = set(movie[owner == person].tolist())
        extra = [m for m in rng.permutation(n) if m not in have][: missing[person]]
        owner, movie = np.concatenate([owner, np.full(len(extra), person)]), np.concatenate([movie, extra])

    users = rng.normal(0, 1 / np.sqrt(FACTORS), (people, FACTORS)) * 1.6
    user_bias = rng.normal(0, 0.4, people)
    value = GLOBAL_MEAN + user_bias[owner] + movie_bias[movie] + np.einsum("ij,ij->i", users[owner], factors[movie])
    value += rng.normal(0, NOISE, len(owner))
    stars = np.clip(np.round(value * 2) / 2, 0.5, 5.0)

    # Times: each person starts somewhere in MovieLens' years and rates in bursts, always moving forward.
    begin = rng.uniform(FIRST_TIME, LAST_TIME - 86_400 * 30, people)
    gaps = rng.exponential(1.0, len(owner)) * np.where(rng.random(len(owner)) < 0.9, 60.0, 86_400.0 * 7)
    order = np.lexsort((rng.random(len(owner)), owner))
    owner, movie, stars, gaps = owner[order], movie[order], stars[order], gaps[order]
    cumulative = np.cumsum(gaps)
    first = np.searchsorted(owner, np.arange(people))
    offset = cumulative - np.concatenate([[0.0], cumulative])[first[owner]]
    stamps = np.minimum(begin[owner] + offset, LAST_TIME).astype(np.int64)  # never backwards within a person
    ratings = pd.DataFrame({"userId": start + owner + 1, "movieId": movie + 1, "rating": stars, "timestamp": stamps})

    liked = np.flatnonzero((stars >= 4.0) & (rng.random(len(stars)) < TAG_SHARE * 4))
    tags = pd.DataFrame({"userId": start + owner[liked] + 1, "movieId": movie[liked] + 1,
                         "tag": top_genre[movie[liked]], "timestamp": stamps[liked]})  # fmt: skip
    tags["tag"] = tags["tag"].map(TAG_WORDS)
    return ratings, tags
