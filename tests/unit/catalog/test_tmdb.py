"""TMDB enrichment against a local HTTP server that serves recorded TMDB responses (tests/unit/catalog/tmdb/)."""

from __future__ import annotations

import http.server
import json
import struct
import threading
import time
import urllib.parse
import zlib
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from catalog import enrichment
from catalog.enrichment import catalog_enrich, movie_enrich
from catalog.models import Credit, Movie, Person
from catalog.tmdb import TMDBClient, TMDBError
from recommender.data import snapshot_from_db

RECORDED = Path(__file__).parent / "tmdb"


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A valid one-colour PNG, so a browser really draws the poster (Chromium sniffs the format)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


#: What the poster endpoint serves.
POSTER = _png(185, 278, (40, 90, 160))


class FakeTMDB(http.server.ThreadingHTTPServer):
    """Routes like TMDB's: search, movie details with credits, posters; plus scripted 429s and stalls."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[str] = []
        self.rate_limited: dict[str, int] = {}  # path -> how many 429s to answer first
        self.stalled: set[str] = set()  # paths that answer after the client's timeout
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def client(self, **options) -> TMDBClient:
        settings = {"requests_per_second": 200.0, "timeout": 2.0, "retries": 2, "max_wait": 0.2, **options}
        return TMDBClient(api_key="test-key", api_url=f"{self.url}/3", image_url=f"{self.url}/t/p", **settings)


class _Handler(http.server.BaseHTTPRequestHandler):
    server: FakeTMDB

    def do_GET(self) -> None:
        parts = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(parts.query))
        self.server.requests.append(parts.path)
        if parts.path in self.server.stalled:
            time.sleep(1.0)
        if self.server.rate_limited.get(parts.path, 0) > 0:
            self.server.rate_limited[parts.path] -= 1
            return self._answer(429, b'{"status_code": 25}', {"Retry-After": "0"})
        if parts.path.startswith("/3/") and query.get("api_key") != "test-key":
            return self._answer(401, b'{"status_code": 7}')
        if parts.path == "/3/search/movie":
            name = "search_toy_story.json" if query.get("query") == "Toy Story" else "search_nothing.json"
            return self._answer(200, (RECORDED / name).read_bytes())
        if parts.path.startswith("/3/movie/"):
            recorded = RECORDED / f"movie_{parts.path.rsplit('/', 1)[1]}.json"
            if recorded.exists() and query.get("append_to_response") == "credits":
                return self._answer(200, recorded.read_bytes())
            return self._answer(404, b'{"status_code": 34}')
        if parts.path.startswith("/t/p/w185/"):
            return self._answer(200, POSTER, {"Content-Type": "image/jpeg"})
        return self._answer(404, b"{}")

    def _answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a stall past its timeout)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def tmdb():
    server = FakeTMDB()
    server.thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def toy_story(db):
    return Movie.objects.create(title="Toy Story", year=1995)


def test_a_movie_is_matched_by_title_and_year_and_gets_poster_overview_runtime_and_credits(tmdb, toy_story, media):
    assert movie_enrich(movie=toy_story, client=tmdb.client())

    toy_story.refresh_from_db()
    assert toy_story.tmdb_id == 862 and toy_story.runtime == 81
    assert toy_story.overview.startswith("Led by Woody")
    assert (media / toy_story.poster.name).read_bytes() == POSTER and toy_story.enriched_at is not None
    directors = [c.person.name for c in toy_story.credits.filter(role=Credit.Role.DIRECTOR)]
    cast = [(c.person.name, c.character) for c in toy_story.credits.filter(role=Credit.Role.ACTOR).order_by("order")]
    assert directors == ["John Lasseter"]  # the screenwriter is crew, not a director
    assert cast[0] == ("Tom Hanks", "Woody (voice)") and len(cast) == 3


def test_a_movie_with_a_tmdb_id_from_links_csv_is_read_directly_without_a_search(tmdb, db):
    matrix = Movie.objects.create(title="The Matrix", year=1999, tmdb_id=603)

    assert movie_enrich(movie=matrix, client=tmdb.client())

    assert tmdb.requests == ["/3/movie/603"]  # no search, and no poster (TMDB has none for it here)
    assert sorted(p.name for p in Person.objects.filter(credits__role="director")) == [
        "Lana Wachowski",
        "Lilly Wachowski",
    ]
    assert not Movie.objects.get(pk=matrix.pk).poster


def test_a_rate_limited_answer_waits_for_retry_after_then_goes_on(tmdb, toy_story):
    tmdb.rate_limited["/3/movie/862"] = 2

    assert movie_enrich(movie=toy_story, client=tmdb.client())

    assert tmdb.requests.count("/3/movie/862") == 3
    assert Movie.objects.get(pk=toy_story.pk).runtime == 81


def test_a_movie_tmdb_does_not_know_is_noted_listed_and_not_asked_about_again(tmdb, db):
    Movie.objects.create(title="Toy Story", year=1995)
    Movie.objects.create(title="A Film Nobody Made", year=1997)

    report = catalog_enrich(client=tmdb.client())
    asked = len(tmdb.requests)
    again = catalog_enrich(client=tmdb.client())

    assert report.enriched == 1 and report.unmatched == ["A Film Nobody Made (1997)"]
    assert "No TMDB match for 1: A Film Nobody Made (1997)" in report.lines()
    assert Movie.objects.get(title="A Film Nobody Made").enrichment_note == "no TMDB match: A Film Nobody Made (1997)"
    assert len(tmdb.requests) == asked and again.enriched == 0 and not again.unmatched  # resumable: all done


def test_a_timeout_is_retried_then_reported_and_the_movie_is_left_for_the_next_run(tmdb, db):
    matrix = Movie.objects.create(title="The Matrix", year=1999, tmdb_id=603)
    tmdb.stalled.add("/3/movie/603")

    report = catalog_enrich(client=tmdb.client(timeout=0.2, retries=1))

    assert report.failed == ["The Matrix (1999)"] and report.enriched == 0
    assert tmdb.requests.count("/3/movie/603") == 2
    assert Movie.objects.get(pk=matrix.pk).enriched_at is None  # not stamped: the next run asks again

    tmdb.stalled.clear()
    assert catalog_enrich(client=tmdb.client()).enriched == 1


def test_a_run_stops_when_tmdb_keeps_failing_saying_so(tmdb, db, monkeypatch):
    monkeypatch.setattr(enrichment, "MAX_FAILURES_IN_A_ROW", 2)
    for year in (1990, 1991, 1992):
        Movie.objects.create(title=f"Film {year}", year=year)
    down = TMDBClient(api_key="k", api_url="http://127.0.0.1:9/3", timeout=0.2, retries=0)

    report = catalog_enrich(client=down)

    assert len(report.failed) == 2 and report.stopped.startswith("Stopped: 2 movies in a row failed")


def test_a_refused_key_is_a_clear_error_not_a_retry(tmdb, toy_story):
    client = tmdb.client()
    client.api_key = "wrong"

    with pytest.raises(TMDBError, match="TMDB answered 401") as raised:
        movie_enrich(movie=toy_story, client=client)
    assert "wrong" not in str(raised.value)  # the key never lands in a message or a log
    assert len(tmdb.requests) == 1


def test_requests_are_spaced_by_the_rate_limit(tmdb, toy_story):
    started = time.monotonic()
    movie_enrich(movie=toy_story, client=tmdb.client(requests_per_second=10.0))

    assert len(tmdb.requests) == 3  # search, details, poster
    assert time.monotonic() - started >= 0.2


def test_the_command_needs_a_key_and_says_so_in_one_line(settings, db):
    settings.TMDB_API_KEY = ""
    with pytest.raises(CommandError, match="TMDB_API_KEY is not set"):
        call_command("enrich_tmdb")


def test_the_command_enriches_and_reports(settings, tmdb, toy_story, capsys):
    settings.TMDB_API_KEY, settings.TMDB_API_URL, settings.TMDB_IMAGE_URL = (
        "test-key",
        f"{tmdb.url}/3",
        f"{tmdb.url}/t/p",
    )

    call_command("enrich_tmdb")

    assert "Enriched 1 movie(s) from TMDB" in capsys.readouterr().out
    assert Movie.objects.get(pk=toy_story.pk).tmdb_id == 862


def test_directors_and_actors_become_content_features(tmdb, toy_story):
    movie_enrich(movie=toy_story, client=tmdb.client())

    features = snapshot_from_db().interactions.item_features
    terms = features.tags[list(snapshot_from_db().interactions.item_ids).index(toy_story.pk)]
    assert terms["director: John Lasseter"] == 3 and terms["cast: Tom Hanks"] == 1


def test_the_overview_becomes_a_content_feature(tmdb, toy_story):
    movie_enrich(movie=toy_story, client=tmdb.client())

    data = snapshot_from_db().interactions
    position = list(data.item_ids).index(toy_story.pk)
    assert data.item_features.overviews[position] == Movie.objects.get(pk=toy_story.pk).overview != ""
    assert all(text == "" for i, text in enumerate(data.item_features.overviews) if i != position)


def test_a_catalog_without_overviews_exports_none(db, toy_story):
    assert snapshot_from_db().interactions.item_features.overviews == []


def test_a_movie_added_one_by_one_is_enriched_by_the_worker_when_a_key_is_set(
    settings, db, monkeypatch, django_capture_on_commit_callbacks
):
    from catalog import tasks

    queued = []
    monkeypatch.setattr(tasks.movie_enrich_task, "delay", queued.append)
    settings.TMDB_API_KEY = "test-key"
    with django_capture_on_commit_callbacks(execute=True):
        added = Movie.objects.create(title="Heat", year=1995)
    settings.TMDB_API_KEY = ""
    with django_capture_on_commit_callbacks(execute=True):
        Movie.objects.create(title="Casino", year=1995)

    assert queued == [added.pk]


# --- pages -------------------------------------------------------------------------------------------------------


@pytest.fixture
def enriched(tmdb, toy_story):
    movie_enrich(movie=toy_story, client=tmdb.client())
    toy_story.refresh_from_db()
    return toy_story


def test_the_movie_page_shows_overview_runtime_director_and_cast(client, enriched):
    body = client.get(enriched.get_absolute_url()).content.decode()

    lasseter = Person.objects.get(name="John Lasseter")
    assert "Led by Woody" in body and "81 min" in body
    assert f'Directed by <a href="{lasseter.get_absolute_url()}">John Lasseter</a>' in body
    assert "Tom Hanks" in body and "as Woody (voice)" in body
    assert f'src="{enriched.poster.url}"' in body
    assert 'from <a href="https://www.themoviedb.org/movie/862">TMDB</a>' in body  # TMDB's terms: credit it


def test_a_persons_page_lists_their_films_for_everyone(client, enriched, django_user_model):
    hanks = Person.objects.get(name="Tom Hanks")
    anonymous = client.get(hanks.get_absolute_url())
    client.force_login(django_user_model.objects.create_user("viewer", password="a-good-passphrase-42"))
    signed_in = client.get(hanks.get_absolute_url())

    for response in (anonymous, signed_in):
        assert response.status_code == 200
        assert "Played in" in response.content.decode() and f'data-movie="{enriched.pk}"' in response.content.decode()
    assert client.get(reverse("catalog:person_detail", args=[hanks.pk + 999])).status_code == 404
    assert client.post(hanks.get_absolute_url()).status_code == 405


def test_search_finds_movies_by_director_or_actor(client, enriched):
    Movie.objects.create(title="Heat", year=1995)

    for query in ("lasseter", "tom hanks"):
        body = client.get(reverse("catalog:browse"), {"q": query}).content.decode()
        assert f'data-movie="{enriched.pk}"' in body and "Heat" not in body


def test_the_footer_credits_tmdb_only_when_it_is_used(client, settings, db):
    settings.TMDB_API_KEY = ""
    assert "TMDB" not in client.get(reverse("catalog:browse")).content.decode()
    settings.TMDB_API_KEY = "test-key"
    assert "not endorsed or certified by TMDB" in client.get(reverse("catalog:browse")).content.decode()


def test_without_enrichment_cards_keep_their_generated_placeholders(client, toy_story):
    body = client.get(toy_story.get_absolute_url()).content.decode()

    assert "poster-large" in body and "<img" not in body.split('<article class="movie-detail">')[1].split("</div>")[0]


def test_recorded_responses_are_valid_json():
    for path in RECORDED.glob("*.json"):
        json.loads(path.read_text())


def test_the_cached_poster_is_served_and_nothing_outside_the_media_folder_is(client, enriched):
    response = client.get(enriched.poster.url)

    assert response.status_code == 200 and b"".join(response.streaming_content) == POSTER
    assert response["Content-Type"] == "image/jpeg" and "max-age" in response["Cache-Control"]
    assert client.get("/media/posters/missing.jpg").status_code == 404
    assert client.get("/media/../manage.py").status_code == 404
    assert client.get("/media/%2e%2e/%2e%2e/etc/passwd").status_code == 404
