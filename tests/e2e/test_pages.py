"""The main flows in a real browser: sign up and onboard, rate, hide and undo, search, similar movies."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e


def card_ids(page, selector: str) -> list[str]:
    return page.locator(f"{selector} .movie-card").evaluate_all("cards => cards.map(card => card.dataset.movie)")


def reveal_every_row(page) -> None:
    """Scroll down until no placeholder is left: rows load only when they come into view."""
    for _ in range(60):
        if not page.locator(".row-loading").count():
            return
        page.mouse.wheel(0, 500)
        page.wait_for_timeout(150)
    raise AssertionError("some rows never loaded")


def test_sign_up_onboard_rate_and_the_rows_change(page, seed, screenshot):
    page.goto("/accounts/signup/")
    page.fill("#id_username", "newcomer")
    page.fill("#id_email", "newcomer@example.org")
    page.fill("#id_password1", "a-good-passphrase-42")
    page.fill("#id_password2", "a-good-passphrase-42")
    page.click("main button[type=submit]")

    page.wait_for_url("**/me/welcome/")
    page.get_by_text("Sci-Fi", exact=True).click()
    page.get_by_role("button", name="Next: rate some movies").click()
    page.wait_for_url("**/me/welcome/rate/")

    for index in range(10):
        page.locator(".movie-card").nth(index).get_by_role("button", name="Rate 4 stars").click()
        page.locator(".movie-card").nth(index).locator(".stars-value", has_text="4").wait_for()
    # "9 of 10 rated." also contains "10 rated.": wait for the finished state's own wording.
    page.locator("#progress strong", has_text=re.compile(r"^10 rated\.$")).wait_for()
    page.locator("#progress").get_by_role("button", name="Show my recommendations").click()

    page.wait_for_url(re.compile(r"/$"))
    top = "#row-top-picks:not(.row-loading)"
    page.locator(f"{top} .movie-card").first.wait_for()
    before = card_ids(page, top)
    assert page.locator("[id^=row-because-]").count() >= 1, "personal rows right after onboarding"
    first = page.locator(f"{top} .movie-card").first
    first.get_by_role("button", name="Rate 4 stars").focus()  # rating support, for the keyboard too
    assert first.locator(".stars-hint").inner_text().startswith("4 stars, like your ")
    first.get_by_role("button", name="Rate 4 stars").blur()
    assert first.locator(".stars-hint").inner_text() == ""
    reveal_every_row(page)
    ids = page.locator(".movie-card").evaluate_all("cards => cards.map(card => card.dataset.movie)")
    assert len(ids) == len(set(ids)), "no movie twice on the page"
    page.evaluate("window.scrollTo(0, 0)")
    screenshot("home")

    page.locator(f"{top} .movie-card").first.get_by_role("button", name="Rate 5 stars").click()
    page.locator(".rows-note", has_text="updated").wait_for()
    page.locator(f"{top} .row-note").wait_for()
    after = card_ids(page, top)
    assert before[0] not in after, "the movie just rated leaves the rows"
    assert after != before


def test_not_interested_removes_a_card_and_undo_brings_it_back(page, seed):
    log_in(page, seed.people[0].username)
    top = "#row-top-picks:not(.row-loading)"
    first = page.locator(f"{top} .movie-card").first
    first.wait_for()
    movie = first.get_attribute("data-movie")
    title = first.locator(".card-title").inner_text()

    first.get_by_role("button", name="Not interested").click()
    hidden = page.locator(f"#card-{movie}.movie-card-hidden")
    hidden.wait_for()
    assert title in hidden.inner_text()
    assert page.locator(f"#card-{movie} .card-title").count() == 0

    hidden.get_by_role("button", name="Undo").click()
    page.locator(f"#card-{movie}:not(.movie-card-hidden) .card-title").wait_for()
    assert page.locator(f"#card-{movie} .reason").inner_text()


def test_live_search_finds_a_movie_as_you_type(page, seed):
    page.goto("/movies/")
    page.locator("#id_q").press_sequentially("alie", delay=40)
    page.locator("#results .results-count", has_text="2 movies").wait_for()
    titles = page.locator("#results .card-title").all_inner_texts()
    assert sorted(titles) == ["Alien", "Aliens"]
    assert "q=alie" in page.url


def test_similar_movies_widget(page, seed, screenshot):
    page.goto("/movies/similar/")
    page.locator("#finder-q").press_sequentially("toy", delay=40)
    page.locator("#suggestions a", has_text="Toy Story").click()
    page.locator("#finder-results h2", has_text="Like Toy Story").wait_for()
    assert page.locator("#finder-results .movie-card").count() > 0
    page.locator("#finder-results .tab", has_text="Similar in content").click()
    page.locator("#finder-results .tab-active", has_text="Similar in content").wait_for()
    assert page.locator("#finder-results .movie-card").count() > 0
    screenshot("similar")


def test_movie_and_insights_pages(page, seed, screenshot):
    log_in(page, seed.people[1].username)
    page.goto(seed.movie("The Matrix").get_absolute_url())
    page.locator(".histogram svg").wait_for()
    page.locator(".similar .movie-card").first.wait_for()
    screenshot("movie")

    page.goto("/insights/")
    page.locator("#models").wait_for()
    assert page.locator(".chart-card svg").count() >= 9
    screenshot("insights")


def boxes(page, selector: str) -> list[dict]:
    """The on-screen box of every visible element matching ``selector``."""
    return page.locator(selector).evaluate_all(
        """elements => elements.filter(e => e.offsetParent !== null).map(e => {
            const box = e.getBoundingClientRect();
            return {text: e.getAttribute('aria-label') || e.textContent.trim(), x: box.x, y: box.y,
                    width: box.width, height: box.height};
        })"""
    )


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844}, has_touch=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def test_on_a_phone_every_control_is_a_24px_target_and_nothing_overflows(phone, seed):
    # Given a signed-in person on a 390 x 844 screen
    log_in(phone, seed.people[0].username)
    phone.locator("#row-top-picks:not(.row-loading) .movie-card").first.wait_for()
    phone.screenshot(path="test-artifacts/phone-home.png")

    # Then the stars, the card buttons and the menu are at least 24 x 24 px (WCAG 2.5.8)
    small = [
        target
        for selector in (".half", ".movie-card button", ".site-header a", ".site-header button")
        for target in boxes(phone, selector)
        if target["width"] < 24 or target["height"] < 24
    ]
    assert not small, small[:5]

    # And the page never scrolls sideways, and the header leaves most of the screen to the movies
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert boxes(phone, ".site-header")[0]["height"] <= 844 * 0.15

    # And a card's stars still rate (whole stars there), and the movie page keeps half stars, large enough
    # (the answer is read, not the card: the rows re-render after a rating, and the rated movie leaves them)
    card = phone.locator("#row-top-picks .movie-card").first
    with phone.expect_response(lambda answer: answer.request.method == "POST" and "/rate/" in answer.url) as rated:
        card.get_by_role("button", name="Rate 4 stars").click()
    assert rated.value.ok and '<span class="stars-value">4</span>' in rated.value.text()
    phone.goto(seed.movie("Alien").get_absolute_url())
    halves = boxes(phone, ".half:not(.movie-card .half)")
    assert len(halves) == 10 and all(half["width"] >= 24 and half["height"] >= 24 for half in halves)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.screenshot(path="test-artifacts/phone-movie.png")


def test_adding_to_the_watchlist_changes_that_card_and_moves_nothing_else(page, seed):
    # Given the home page with its first rows loaded
    log_in(page, seed.people[0].username)
    top = "#row-top-picks:not(.row-loading)"
    page.locator(f"{top} .movie-card").nth(2).wait_for()
    reveal_every_row(page)
    page.evaluate("window.scrollTo(0, 0)")
    before = {card["text"]: card for card in boxes(page, ".movie-card .card-title")}
    first = page.locator(f"{top} .movie-card").first
    movie = first.get_attribute("data-movie")

    # When "+ Watchlist" is pressed on the first card
    first.get_by_role("button", name="Watchlist").click()
    page.locator(f"{top} #card-{movie} button[aria-pressed=true]", has_text="Watchlist").wait_for()
    page.locator("#row-watchlist .movie-card").first.wait_for()

    # Then that card stays where it was, saved, and every other card on the page stays in place
    page.evaluate("window.scrollTo(0, 0)")
    after = {card["text"]: card for card in boxes(page, ".movie-card:not(#row-watchlist .movie-card) .card-title")}
    moved = [
        title
        for title, box in before.items()
        if (after.get(title, {}).get("y"), after.get(title, {}).get("x")) != (box["y"], box["x"])
    ]
    assert not moved, moved[:5]
    assert page.locator(".rows-note").count() == 0


def test_an_enriched_movie_shows_its_poster_overview_and_people(page, phone, seed, settings, tmp_path, screenshot):
    # Given a movie enriched from recorded TMDB answers
    from catalog.enrichment import movie_enrich
    from tests.unit.catalog.test_tmdb import FakeTMDB

    settings.MEDIA_ROOT = tmp_path / "media"
    server = FakeTMDB()
    server.thread.start()
    try:
        movie = seed.movie("Toy Story")
        movie_enrich(movie=movie, client=server.client())
    finally:
        server.shutdown()
        server.server_close()

    # Then its page shows the poster image, the overview and the director, on a desktop and on a phone
    for browser_page, name in ((page, "movie-enriched"), (phone, "movie-enriched-phone")):
        browser_page.goto(movie.get_absolute_url())
        poster = browser_page.locator("img.poster-large")
        if name.endswith("phone"):
            assert not poster.is_visible()  # the phone layout leaves the large poster out, as before
        else:
            poster.wait_for()
            assert poster.evaluate("img => img.complete && img.naturalWidth") == 185
        assert browser_page.get_by_text("Led by Woody").is_visible()
        browser_page.get_by_role("link", name="John Lasseter").wait_for()
        browser_page.screenshot(path=f"test-artifacts/{name}.png", full_page=True)
    page.get_by_role("link", name="Tom Hanks").click()
    page.locator("h1", has_text="Tom Hanks").wait_for()
    assert page.locator(f'.movie-card[data-movie="{movie.pk}"]').count() == 1


def test_the_taste_dials_rerank_top_picks_at_once_and_reset_is_one_click(page, phone, seed):
    log_in(page, seed.people[0].username)
    page.locator("#row-top-picks:not(.row-loading) .movie-card").first.wait_for()
    page.get_by_text("Tune your Top picks").click()

    # Moving the popularity dial to "hidden gems" re-renders the rows, titled with the setting
    page.locator("input[name=dial_popularity]").evaluate(
        "dial => { dial.value = '1'; dial.dispatchEvent(new Event('change', {bubbles: true})); }"
    )
    page.locator("#row-top-picks-title", has_text="more hidden gems").wait_for()
    page.screenshot(path="test-artifacts/home-dials.png")

    page.get_by_role("button", name="Reset to the defaults").click()
    page.locator("#row-top-picks-title", has_text=re.compile(r"^Top picks for you$")).wait_for()

    # On a phone the panel fits the screen
    log_in(phone, seed.people[0].username)
    phone.get_by_text("Tune your Top picks").click()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.screenshot(path="test-artifacts/phone-dials.png")
