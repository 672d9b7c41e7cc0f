"""Optional movie information from TMDB: poster, overview, runtime, directors and top-billed cast.

Switched on by ``TMDB_API_KEY``. ``manage.py enrich_tmdb`` enriches the catalog, and a Celery task enriches a
movie added later (``catalog.tasks``). A movie is matched by the TMDB id its MovieLens ``links.csv`` gave it
(ml-latest, 25M and later), otherwise by title and year (ml-100k, ml-1m).

- **Resumable:** each movie is written in its own transaction and stamped ``enriched_at``; a run that stops
  (Ctrl-C, TMDB down) picks up where it left off. ``--force`` asks again about movies already done.
- **Honest about gaps:** a movie TMDB does not know is stamped with a note and listed in the report.
- **Nothing breaks without it:** no key, or no network, and the site keeps its generated poster placeholders.

The directors and actors stored here become content features (``recommender.data.snapshot_from_db``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from catalog.models import Credit, Movie, Person
from catalog.tmdb import TMDBClient, TMDBError

logger = logging.getLogger(__name__)

#: Top-billed actors kept per movie.
CAST_SIZE = 8
#: Stop a run after this many movies in a row failed to reach TMDB: it is down, not one movie.
MAX_FAILURES_IN_A_ROW = 5


@dataclass
class EnrichmentReport:
    enriched: int = 0
    unmatched: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    stopped: str = ""
    seconds: float = 0.0

    def lines(self) -> list[str]:
        out = [f"Enriched {self.enriched} movie(s) from TMDB in {self.seconds:.1f} s."]
        if self.unmatched:
            out.append(f"No TMDB match for {len(self.unmatched)}: " + "; ".join(self.unmatched[:20]))
        if self.failed:
            out.append(
                f"Could not ask TMDB about {len(self.failed)} (run again to retry): " + "; ".join(self.failed[:20])
            )
        if self.stopped:
            out.append(self.stopped)
        return out


def movie_enrich(*, movie: Movie, client: TMDBClient) -> bool:
    """Ask TMDB about ``movie`` and store what it says; False when TMDB has no match. Raises TMDBError."""
    details = client.movie(movie.tmdb_id) if movie.tmdb_id else None
    if details is None:
        found = client.search_movie(movie.title, movie.year)
        details = client.movie(int(found["id"])) if found else None
    if details is None:
        label = f"{movie.title} ({movie.year})" if movie.year else movie.title
        Movie.objects.filter(pk=movie.pk).update(enriched_at=timezone.now(), enrichment_note=f"no TMDB match: {label}")
        return False
    poster = client.poster(details["poster_path"]) if details.get("poster_path") else None
    with transaction.atomic():
        _store(movie, details, poster)
    return True


def _store(movie: Movie, details: dict[str, Any], poster: bytes | None) -> None:
    movie.tmdb_id = int(details["id"])
    movie.overview = (details.get("overview") or "").strip()
    movie.runtime = details.get("runtime") or None
    movie.enriched_at, movie.enrichment_note = timezone.now(), ""
    if poster:
        if movie.poster:
            movie.poster.delete(save=False)
        movie.poster.save(f"{movie.pk}.jpg", ContentFile(poster), save=False)
    movie.save(update_fields=["tmdb_id", "overview", "runtime", "poster", "enriched_at", "enrichment_note"])

    credits = (details.get("credits") or {}) if isinstance(details.get("credits"), dict) else {}
    directors = [c for c in credits.get("crew") or [] if c.get("job") == "Director"]
    cast = sorted(credits.get("cast") or [], key=lambda c: c.get("order", 0))[:CAST_SIZE]
    people = {int(c["id"]): c.get("name") or "" for c in (*directors, *cast)}
    existing = {person.tmdb_id: person for person in Person.objects.filter(tmdb_id__in=people)}
    for tmdb_id, name in people.items():
        if tmdb_id not in existing:
            existing[tmdb_id] = Person.objects.create(tmdb_id=tmdb_id, name=name)
        elif existing[tmdb_id].name != name and name:
            Person.objects.filter(pk=existing[tmdb_id].pk).update(name=name)
    Credit.objects.filter(movie=movie).delete()
    rows = {}
    for order, crew in enumerate(directors):
        rows[(int(crew["id"]), Credit.Role.DIRECTOR)] = Credit(
            movie=movie, person=existing[int(crew["id"])], role=Credit.Role.DIRECTOR, order=order
        )
    for actor in cast:
        rows.setdefault(
            (int(actor["id"]), Credit.Role.ACTOR),
            Credit(
                movie=movie,
                person=existing[int(actor["id"])],
                role=Credit.Role.ACTOR,
                character=(actor.get("character") or "")[:255],
                order=int(actor.get("order", 0)),
            ),
        )
    Credit.objects.bulk_create(rows.values())


def catalog_enrich(
    *,
    client: TMDBClient,
    movies: Iterable[Movie] | None = None,
    force: bool = False,
    limit: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> EnrichmentReport:
    """Enrich every movie not yet asked about (all with ``force``), at most ``limit``; see the module's rules."""
    started = time.perf_counter()
    report = EnrichmentReport()
    if movies is None:
        queryset = Movie.objects.order_by("pk")
        movies = queryset if force else queryset.filter(enriched_at__isnull=True)
        if limit is not None:
            movies = movies[:limit]
    failures_in_a_row = 0
    for movie in movies:
        label = f"{movie.title} ({movie.year})" if movie.year else movie.title
        try:
            if movie_enrich(movie=movie, client=client):
                report.enriched += 1
            else:
                report.unmatched.append(label)
            failures_in_a_row = 0
        except TMDBError as error:
            logger.warning("TMDB enrichment of movie %s failed: %s", movie.pk, error)
            report.failed.append(label)
            failures_in_a_row += 1
            if failures_in_a_row >= MAX_FAILURES_IN_A_ROW:
                report.stopped = f"Stopped: {failures_in_a_row} movies in a row failed ({error}). Run it again later."
                break
        if progress is not None:
            progress(1)
    report.seconds = time.perf_counter() - started
    return report
