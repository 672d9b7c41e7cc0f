"""Bringing a rating history from Letterboxd or IMDb: reading, matching, the preview, the import."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ratings import history_import
from ratings.history_import import ImportFileError, match, normalise, read_export
from ratings.models import Rating
from tests.factories import MovieFactory, RatingFactory

LETTERBOXD = (
    "Date,Name,Year,Letterboxd URI,Rating\n"
    "2024-01-03,The Matrix,1999,https://boxd.it/1,4.5\n"
    '2024-01-04,"Usual Suspects, The",1995,https://boxd.it/2,5\n'
    "2024-01-05,Amélie,2001,https://boxd.it/3,3\n"
    "2024-01-06,A Film Nobody Has,2011,https://boxd.it/4,2\n"
    "2024-01-07,Heat,1995,https://boxd.it/5,\n"
)
IMDB = (
    "Const,Your Rating,Date Rated,Title,Original Title,URL,Title Type,IMDb Rating,Runtime (mins),Year,Genres\n"
    "tt0133093,9,2024-01-03,Matrix (renamed),The Matrix,https://imdb.com/title/tt0133093,movie,8.7,136,1999,Action\n"
    "tt0113277,7,2024-01-04,Heat,Heat,https://imdb.com/title/tt0113277,movie,8.3,170,1995,Crime\n"
)


@pytest.fixture
def catalog(db):
    return {
        "matrix": MovieFactory(title="The Matrix", year=1999, imdb_id="tt0133093"),
        "suspects": MovieFactory(title="The Usual Suspects", year=1995),
        "amelie": MovieFactory(title="Amelie", year=2001),
        "heat": MovieFactory(title="Heat", year=1995),
    }


def test_letterboxd_rows_are_read_with_their_stars_and_unrated_rows_skipped():
    source, rows = read_export(LETTERBOXD.encode())

    assert source == "Letterboxd"
    assert [(row.title, row.year, row.score) for row in rows][:2] == [
        ("The Matrix", 1999, 4.5),
        ("Usual Suspects, The", 1995, 5.0),
    ]
    assert len(rows) == 4 and rows[0].line == 2


def test_imdb_ratings_out_of_ten_become_half_stars_and_keep_their_imdb_id():
    source, rows = read_export(IMDB.encode())

    assert source == "IMDb"
    assert [(row.imdb_id, row.score) for row in rows] == [("tt0133093", 4.5), ("tt0113277", 3.5)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Name,Stars\nHeat,4\n", "line 1: not a Letterboxd ratings.csv"),
        (LETTERBOXD.replace("4.5\n", "four\n", 1), "line 2: rating 'four' is not a number"),
        (LETTERBOXD.replace(",4.5\n", ",4.2\n", 1), "line 2: rating '4.2' is off the scale"),
        (IMDB + "tt1,11,2024-01-01,X,X,u,movie,1,1,2000,Drama\n", "line 4: rating '11' is off the scale"),
    ],
)
def test_a_bad_file_or_line_is_named(text, message):
    with pytest.raises(ImportFileError, match=message):
        read_export(text.encode())


def test_titles_match_whatever_their_article_case_or_accents():
    assert normalise("The Usual Suspects") == normalise("Usual Suspects, The") == "usual suspects"
    assert normalise("Amélie") == normalise("AMELIE")
    assert normalise("A Beautiful Mind") == "beautiful mind" and normalise("Heat") == "heat"


def test_matching_uses_the_imdb_id_first_then_title_and_year(catalog):
    found = match(*read_export(IMDB.encode()))
    boxd = match(*read_export(LETTERBOXD.encode()))

    assert [movie for _, movie in found.found] == [catalog["matrix"], catalog["heat"]]  # "Matrix (renamed)" by its id
    assert [movie for _, movie in boxd.found] == [catalog["matrix"], catalog["suspects"], catalog["amelie"]]
    assert [row.title for row in boxd.unmatched] == ["A Film Nobody Has"]


def upload(client, text: str, name: str = "ratings.csv"):
    return client.post(reverse("ratings:history_import"), {"export": SimpleUploadedFile(name, text.encode())})


def test_the_preview_writes_nothing_and_the_import_writes_it_all_keeping_ratings_made_here(client, user, catalog):
    client.force_login(user)
    RatingFactory(user=user, movie=catalog["suspects"], score=2.0)

    preview = upload(client, LETTERBOXD)
    body = preview.content.decode()
    assert preview.status_code == 200 and "3 of 4 Letterboxd ratings found" in body and "A Film Nobody Has" in body
    assert Rating.objects.filter(user=user).count() == 1

    plan = body.split('name="plan" value="')[1].split('"')[0]
    done = client.post(reverse("ratings:history_import"), {"plan": plan}, follow=True)

    scores = dict(Rating.objects.filter(user=user).values_list("movie__title", "score"))
    assert scores == {"The Matrix": 4.5, "The Usual Suspects": 2.0, "Amelie": 3.0}  # 2.0 was given here: kept
    assert "Imported 2 rating(s); 1 movie(s) you had already rated kept your rating." in done.content.decode()


def test_a_changed_plan_is_refused_and_nothing_is_written(client, user, catalog):
    client.force_login(user)

    response = client.post(reverse("ratings:history_import"), {"plan": "[[1, 5.0]]"})

    assert response.status_code == 400 and "plan: the preview expired or was changed" in response.content.decode()
    assert not Rating.objects.filter(user=user).exists()


def test_a_file_the_csv_reader_cannot_place_is_an_import_error_naming_the_line():
    with pytest.raises(ImportFileError, match="line 1: cannot be read as CSV"):
        read_export(b"Date," + b"x" * 200_000 + b"\n")  # a field past the CSV reader's limit
    # A carriage return inside a field (what the schema fuzzer sent) is read, not a server error.
    with pytest.raises(ImportFileError, match="line 1: not a Letterboxd"):
        read_export(b'Date,Name,"Year\rLetterboxd URI",Rating\n')


def test_a_bad_file_is_a_400_naming_the_line_and_a_huge_one_413(client, user, catalog, monkeypatch):
    client.force_login(user)
    bad = upload(client, LETTERBOXD.replace("4.5\n", "four\n", 1))
    assert bad.status_code == 400 and "line 2: rating" in bad.content.decode()

    monkeypatch.setattr(history_import, "MAX_BYTES", 100)
    assert upload(client, LETTERBOXD).status_code == 413
    assert client.post(reverse("ratings:history_import"), {}).status_code == 400


def test_importing_needs_a_signed_in_person(client, db):
    assert client.get(reverse("ratings:history_import")).status_code == 302
    assert upload(client, LETTERBOXD).status_code == 302
    assert not Rating.objects.exists()


# -- ambiguous titles, resolved by hand ----------------------------------------------------------------------------

TWINS = (
    "Date,Name,Year,Letterboxd URI,Rating\n"
    "2024-02-01,Solaris,1972,https://boxd.it/6,5\n"
    "2024-02-02,Crash,1996,https://boxd.it/7,4\n"
    "2024-02-03,Solaris,2003,https://boxd.it/8,2.5\n"
)


@pytest.fixture
def twins(db):
    return {
        "solaris72": MovieFactory(title="Solaris", year=1972),
        "solaris02": MovieFactory(title="Solaris", year=2002),
        "crash": MovieFactory(title="Crash", year=1996),
        "crash_too": MovieFactory(title="Crash", year=1996),
    }


def test_a_title_with_two_films_that_year_or_only_a_near_year_is_ambiguous(twins):
    matches = match(*read_export(TWINS.encode()))

    assert [movie for _, movie in matches.found] == [twins["solaris72"]]  # one film of that title and year
    ambiguous = {row.line: movies for row, movies in matches.ambiguous}
    assert ambiguous == {3: [twins["crash"], twins["crash_too"]], 4: [twins["solaris02"]]}  # 2003 is near 2002
    assert not matches.unmatched


def test_the_person_picks_for_each_ambiguous_line_or_leaves_it_out(client, user, twins):
    client.force_login(user)
    preview = upload(client, TWINS).content.decode()
    assert "Which one did you mean? (2)" in preview and 'name="pick-3"' in preview
    plan = preview.split('name="plan" value="')[1].split('"')[0]

    wrong = client.post(reverse("ratings:history_import"), {"plan": plan, "pick-3": str(twins["solaris02"].pk)})
    assert wrong.status_code == 400 and "line 3" in wrong.content.decode()
    assert not Rating.objects.filter(user=user).exists()  # nothing half-written

    client.post(reverse("ratings:history_import"), {"plan": plan, "pick-3": str(twins["crash_too"].pk), "pick-4": ""})
    scores = dict(Rating.objects.filter(user=user).values_list("movie_id", "score"))
    assert scores == {twins["solaris72"].pk: 5.0, twins["crash_too"].pk: 4.0}  # line 4 left out


def test_the_api_previews_then_imports_with_picks_and_names_what_is_wrong(api_as, user, twins):
    api = api_as(user)
    preview = api.post(
        "/api/v1/me/ratings/import/preview/", {"export": SimpleUploadedFile("ratings.csv", TWINS.encode())}
    )
    body = preview.json()
    assert preview.status_code == 200 and not Rating.objects.exists()
    assert [row["movie"]["id"] for row in body["found"]] == [twins["solaris72"].pk]
    assert [[c["id"] for c in row["candidates"]] for row in body["ambiguous"]] == [
        [twins["crash"].pk, twins["crash_too"].pk],
        [twins["solaris02"].pk],
    ]

    wrong = api.post("/api/v1/me/ratings/import/", {"plan": body["plan"], "picks": {"3": 999999}}, format="json")
    changed = api.post("/api/v1/me/ratings/import/", {"plan": body["plan"] + "x"}, format="json")
    broken = api.post(
        "/api/v1/me/ratings/import/preview/",
        {"export": SimpleUploadedFile("r.csv", TWINS.replace(",5\n", ",five\n").encode())},
    )
    assert wrong.status_code == 400 and "picks" in wrong.json()["error"]["fields"]
    assert changed.status_code == 400 and "plan" in changed.json()["error"]["fields"]
    assert broken.status_code == 400 and "line 2" in str(broken.json()["error"]["fields"]["export"])
    assert not Rating.objects.exists()

    done = api.post(
        "/api/v1/me/ratings/import/", {"plan": body["plan"], "picks": {"4": twins["solaris02"].pk}}, format="json"
    )
    assert done.json() == {"added": 2, "kept": 0}
    assert set(Rating.objects.filter(user=user).values_list("movie_id", flat=True)) == {
        twins["solaris72"].pk,
        twins["solaris02"].pk,
    }


def test_importing_through_the_api_needs_a_signed_in_person(api_client, db):
    assert api_client.post("/api/v1/me/ratings/import/preview/", {}).status_code == 401
    assert api_client.post("/api/v1/me/ratings/import/", {}, format="json").status_code == 401
