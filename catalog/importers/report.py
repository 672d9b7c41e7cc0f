"""What an import did, for the printed report and the closing one-line summary."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{count} {what}" for what, count in sorted(counter.items()))


@dataclass
class ImportReport:
    variant: str
    movies: int = 0
    users: int = 0
    ratings: int = 0
    #: Distinct (movie, tag) pairs written to MovieTag.
    tags: int = 0
    genres: int = 0
    ratings_read: int = 0
    out_of_range: int = 0
    off_step: int = 0
    unknown_movie: int = 0
    duplicates: int = 0
    #: Ratings already stored with the same score and time, so not written again.
    ratings_unchanged: int = 0
    tags_read: int = 0
    tags_unknown_movie: int = 0
    missing: Counter[str] = field(default_factory=Counter)
    ignored: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def rejected(self) -> int:
        return self.out_of_range + self.off_step + self.unknown_movie

    def summary(self) -> str:
        return (
            f"Imported {self.variant}: {self.movies} movies, {self.users} users, {self.ratings} ratings, "
            f"{self.tags} tags in {self.seconds:.1f} s (rejected: {self.out_of_range} out of range, "
            f"{self.off_step} off the half-star scale, {self.unknown_movie} unknown movie; "
            f"{self.duplicates} duplicates dropped)"
        )

    def details(self) -> list[str]:
        lines = [
            f"Ratings read: {self.ratings_read}, kept: {self.ratings}",
            f"  rejected: {self.out_of_range} out of range (below 0.5 or above 5), "
            f"{self.off_step} not on a half step, {self.unknown_movie} for a movie not in the movie list",
            f"  duplicates (same user and movie; the latest timestamp kept): {self.duplicates} dropped",
            f"  written: {self.ratings - self.ratings_unchanged} new or changed, "
            f"{self.ratings_unchanged} already stored as they are",
        ]
        if self.tags_read:
            lines.append(
                f"Tags read: {self.tags_read}, {self.tags_unknown_movie} for a movie not in the movie list "
                f"rejected, the rest counted into {self.tags} movie-tag pairs"
            )
        if self.missing:
            lines.append(f"Missing or unusable values (kept as null or blank): {_counts(self.missing)}")
        if self.ignored:
            lines.append(f"Skipped: {_counts(self.ignored)}")
        return lines
