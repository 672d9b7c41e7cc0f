"""Choices shared by the models and by code that must run without Django's app registry (the row builders)."""

from __future__ import annotations

from datetime import timedelta

from django.db import models

#: "Not now" hides a movie from every list for this long; then it may come back.
SNOOZE = timedelta(days=30)


class TopPicksSource(models.TextChoices):
    """How a person's Top picks are made (the recommender switcher)."""

    BALANCED = "balanced", "Balanced"
    PEOPLE = "people", "People like me"
    LOVED = "loved", "Like what I loved"
    NEXT = "next", "What's next for me"
    CONTENT = "content", "By content"


#: One line per choice, shown beside the switcher and in the API's schema.
SOURCE_EXPLANATIONS = {
    TopPicksSource.BALANCED: "Our learned blend of every model: the most accurate overall.",
    TopPicksSource.PEOPLE: "What people who rate like you loved (neural collaborative filtering).",
    TopPicksSource.LOVED: "Movies most like the ones you rated highest (item neighbours).",
    TopPicksSource.NEXT: "What tends to come next after your latest ratings (a sequence model).",
    TopPicksSource.CONTENT: "Alike in genres, tags, directors and cast, whoever rated them.",
}
#: The Top picks controls a person may set (Profile fields), and what "reset" puts back.
PREFERENCE_DEFAULTS = {
    "top_picks_source": TopPicksSource.BALANCED.value,
    "dial_popularity": 0.0,
    "dial_adventure": 0.0,
    "dial_recency": 0.0,
}
#: Each taste dial runs from -1 to 1 (adventure from 0 to 1); 0 leaves Top picks exactly as the blend ranks them.
DIAL_RANGE = (-1.0, 1.0)


class FeedbackKind(models.TextChoices):
    NOT_INTERESTED = "not_interested", "Not interested"
    WATCHLIST = "watchlist", "Watchlist"
    SEEN = "seen", "Seen"
    MORE_LIKE_THIS = "more_like_this", "More like this"
    LESS_LIKE_THIS = "less_like_this", "Less like this"
    #: Hidden everywhere for SNOOZE, then it may return (Not interested stays for good).
    SNOOZED = "snoozed", "Not now"
    #: The rating stays, but the movie is no seed: no "Because you rated" row, and left out of the fold-in history
    #: (a film rated for someone else, say).
    NOT_A_SEED = "not_a_seed", "Don't recommend from this"
