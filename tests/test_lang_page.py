"""The hub's page in Spanish, in a real Chromium (issue 19, item 5): by the browser's language, and by ?lang=es.

One `tally serve` process and one browser (tests/test_page.py's) for every
check here. The words on the page are the Spanish model's, the numbers as
Spanish writes them (1.633), and no English word of tally's is left.
"""

from __future__ import annotations

import re

import pytest

from test_page import WAIT, Hub, browser, frames  # noqa: F401  (browser: the module's one Chromium)

ENGLISH = re.compile(r"\b(leads|unopened|ballots|Margin|Remaining|Turnout|Piles|Chances|Last calls|LIVE|"
                     r"connecting|every count|valid votes|challenged|union wins|no union)\b")


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    running = Hub(tmp_path_factory.mktemp("lang") / "hub")
    running.publish("ldj5", frames("ldj5", 400))
    yield running
    running.kill()


def spanish_count_page(page) -> str:
    page.wait_for_selector("#facts dd.turnout", timeout=WAIT)  # (not wait_for_function: the CSP has no eval)
    page.wait_for_selector("#status.-live", timeout=WAIT)
    assert page.inner_text("#status") == "● EN VIVO"
    return page.inner_text("body")


def test_the_count_page_follows_the_browsers_language(browser, hub):  # noqa: F811
    context = browser.new_context(locale="es-MX")  # Accept-Language: es-MX
    try:
        page = context.new_page()
        page.goto(f"{hub.http}/e/ldj5")
        text = spanish_count_page(page)
        assert page.get_attribute("html", "lang") == "es"
        assert page.inner_text("#call") == "TODAVÍA NO SE SABE"
        assert page.inner_text("#facts dd.turnout") == "1.000 de ≈1.633 con derecho a voto (61,2 %)"
        assert [page.inner_text(f"#facts dt:nth-of-type({i})") for i in (1, 2, 3, 4)] == [
            "Diferencia", "Quedan", "Nulas e impugnadas", "Participación"]
        assert "va ganando por" in page.inner_text("#facts dd.margin")
        assert page.inner_text("#choices [data-choice=yes] .name") == "SÍ"
        assert not ENGLISH.search(text), ENGLISH.search(text)
        page.click("#back")
        page.wait_for_selector("#rows li", timeout=WAIT)
        assert page.inner_text("h1") == "Conteos de elecciones sindicales"
        assert "CONTANDO" in page.inner_text("#rows li .state")
    finally:
        context.close()


def test_lang_es_in_the_address_wins_over_an_english_browser(browser, hub):  # noqa: F811
    context = browser.new_context(locale="en-US")
    try:
        page = context.new_page()
        page.goto(f"{hub.http}/?lang=es")
        page.wait_for_selector("#rows li", timeout=WAIT)
        assert page.get_attribute("html", "lang") == "es"
        assert page.inner_text("#rows li .lead").startswith("NO va ganando por")
        page.click("#rows li a.title")  # the link keeps ?lang=es
        text = spanish_count_page(page)
        assert page.url.endswith("/e/ldj5?lang=es")
        assert not ENGLISH.search(text), ENGLISH.search(text)
        english = context.new_page()
        english.goto(f"{hub.http}/e/ldj5")
        english.wait_for_selector("#facts dd.turnout", timeout=WAIT)
        assert english.inner_text("#facts dd.turnout") == "1,000 of ≈1,633 eligible (61.2 %)"
        assert english.inner_text("#facts dt:nth-of-type(1)") == "Margin"
    finally:
        context.close()
