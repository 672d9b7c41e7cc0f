"""Choices shared by the models and by code that must run without Django's app registry (the row builders)."""

from __future__ import annotations

from datetime import timedelta

from django.db import models

#: "Not now" hides a movie from every list for this long; then it may come back.
SNOOZE = timedelta(days=30)


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
