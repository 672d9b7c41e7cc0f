"""Reads for accounts: everything stored about a person, for the JSON and CSV downloads."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from movierec.accounts.models import DeviceToken
from ratings.models import Profile
from ratings.selectors import user_data_export

PROFILE_FIELDS = ("movielens_id", "age", "gender", "occupation", "zip_code")
CSV_COLUMNS = ["type", "field", "value", "movie_id", "movielens_id", "title", "year", "score", "kind", "created",
               "updated", "expiry"]  # fmt: skip


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def account_export(*, user: AbstractBaseUser) -> dict[str, Any]:
    """The account, its profile and favourite genres, the signed-in devices, the ratings and the feedback."""
    profile = Profile.objects.filter(user=user).prefetch_related("favourite_genres").first()
    return {
        **user_data_export(user=user),
        "account": {
            "email": user.email,
            "date_joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
        },
        "profile": None
        if profile is None
        else {
            **{field: getattr(profile, field) for field in PROFILE_FIELDS},
            "onboarded_at": _iso(profile.onboarded_at),
            "favourite_genres": sorted(genre.name for genre in profile.favourite_genres.all()),
        },
        "devices": [
            {"device": token.device, "created": _iso(token.created), "expiry": _iso(token.expiry)}
            for token in DeviceToken.objects.filter(user=user).order_by("created")
        ],
    }


def account_export_csv(data: dict[str, Any]) -> str:
    """One CSV for all of it: the "type" column tells an account field, a rating, feedback and a device apart."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    writer.writerow({"type": "account", "field": "username", "value": data["username"]})
    writer.writerows({"type": "account", "field": key, "value": value} for key, value in data["account"].items())
    profile = data["profile"] or {}
    for key, value in profile.items():
        if key == "favourite_genres":
            writer.writerows({"type": "favourite_genre", "value": name} for name in value)
        else:
            writer.writerow({"type": "profile", "field": key, "value": value})
    writer.writerows({"type": "device", "value": device["device"], **device} for device in data["devices"])
    writer.writerows({"type": "rating", **row} for row in data["ratings"])
    writer.writerows({"type": "feedback", **row} for row in data["feedback"])
    return out.getvalue()
