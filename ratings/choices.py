"""Choices shared by the models and by code that must run without Django's app registry (the row builders)."""

from __future__ import annotations

from django.db import models


class FeedbackKind(models.TextChoices):
    NOT_INTERESTED = "not_interested", "Not interested"
    WATCHLIST = "watchlist", "Watchlist"
    SEEN = "seen", "Seen"
    MORE_LIKE_THIS = "more_like_this", "More like this"
    LESS_LIKE_THIS = "less_like_this", "Less like this"
