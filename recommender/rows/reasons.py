"""Why a card is on a person's page, in words: "Because you rated Heat 5 stars"."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from recommender.rows.serving import COLLABORATIVE, CONTENT

if TYPE_CHECKING:
    from recommender.rows.person import Taste

#: A rating at or above this is "liked": it seeds "Because you rated" rows and explains picks.
LIKED_RATING = 4.0
#: Neighbours looked at when explaining a pick by a liked movie.
REASON_NEIGHBOURS = 50
#: A reason may name one of the person's this many favourite genres (beyond them "your taste" would be a stretch).
TASTE_GENRES = 3


def stars(score: float) -> str:
    return f"{score:g} star" if score == 1 else f"{score:g} stars"


def join_names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def personal_reason(taste: Taste, position: int) -> str | None:
    """Why this person would like the movie at ``position``, or None when nothing personal says so.

    1. A liked movie among its nearest neighbours: "Because you rated Heat 5 stars".
    2. One of the person's TASTE_GENRES favourite genres: "Matches your taste for Drama".
    3. A high predicted rating: "We think you'll rate it 4.3 stars".
    """
    if taste.liked:
        movie_id = int(taste.catalog.ids[position])
        vector, _ = taste.similarity(movie_id, (COLLABORATIVE, CONTENT), REASON_NEIGHBOURS, keep=False)
        liked = np.fromiter(taste.liked, dtype=np.int64, count=len(taste.liked))
        closeness = vector[liked]
        if closeness.max() > 0:
            # argmax takes the first of equals: liked is newest first, so the most recent liked movie wins.
            best = int(liked[np.argmax(closeness)])
            return taste.liked[best].format(title=taste.catalog.titles[best])
    for genre in taste.top_genres[:TASTE_GENRES]:
        if taste.catalog.genres[position, genre]:
            return f"Matches your taste for {taste.catalog.genre_names[genre]}"
    predicted = taste.predicted_at(position)
    if predicted is not None and predicted >= LIKED_RATING:
        return f"We think you'll rate it {predicted:.1f} stars"
    return None
