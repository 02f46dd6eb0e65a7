"""The hub in the reader's language (issue 19, item 5): the page's files and /board rows, on a real hub.

One row is made per change and sent to every client; a client that reads
Spanish (``/board?lang=es``, as the page asks in its language) makes every
row carry its model in Spanish too, while it is connected, and only then.
"""

from __future__ import annotations

import asyncio

from websockets.asyncio.client import connect

from feeds.files import load
from hubkit import http, next_row, replay, running_hub
from test_board_hub import publish_events
from tally.lang import use
from tally.odds import odds
from tally.present import present


async def rows_until_settled(ws, election_id: str) -> dict:
    """The election's row once its needle is in."""
    while True:
        frame = await next_row(ws)
        if frame.get("id") == election_id and not frame.get("working", True):
            return frame


async def test_a_spanish_reader_gets_the_model_in_spanish_and_an_english_one_none_extra(tmp_path):
    events = replay("ldj5", 400)
    async with running_hub(tmp_path) as (hub, url):
        await publish_events(url, "ldj5", events)
        async with connect(f"{url}/board?id=ldj5") as english:
            row = await rows_until_settled(english, "ldj5")
            assert "models" not in row, "nobody reads Spanish: nothing more is made"
            async with connect(f"{url}/board?id=ldj5&lang=es-MX") as spanish:
                row = await rows_until_settled(spanish, "ldj5")
        snap = load_snapshot(tmp_path, events)
        with use("es"):
            want = present(snap, odds(snap), calls=(), most_calls=12)
        model = row["models"]["es"]
        assert model["headline"] == want.headline == "TODAVÍA NO SE SABE"
        assert model["margin"] == want.margin
        assert model["turnout"] == want.turnout == "1.000 de ≈1.633 con derecho a voto (61,2 %)"
        assert model["verification"] == "sin verificar: un solo conteo"
        assert model["page_link"]["marks"]["live"] == ["live", "● EN VIVO"]
        assert model["page_link"]["stale"][0][2] == "⚠ última actualización hace {n} s"
        assert [c["label"] for c in model["chances"]][:2] == [c.label for c in want.chances][:2]
        assert row["model"]["margin"].startswith("NO leads by"), "the row's own model stays English"


def load_snapshot(tmp_path, events):
    path = tmp_path / "ldj5-400.jsonl"
    path.write_text("".join(e.model_dump_json(exclude_none=True) + "\n" for e in events))
    return load(path).count.snapshot()


async def test_the_page_is_served_in_the_readers_language(tmp_path):
    async with running_hub(tmp_path) as (hub, url):
        status, headers, body = await http(url, "/e/ldj5", headers="Accept-Language: es-ES,es;q=0.9\r\n")
        assert status == 200 and headers["content-language"] == "es" and "Accept-Language" in headers["vary"]
        page = body.decode()
        assert '<html lang="es">' in page and "Últimas papeletas" in page and "{{" not in page
        assert 'data-margin="Diferencia"' in page
        _, headers, body = await http(url, "/?lang=es", headers="Accept-Language: en-US\r\n")
        assert headers["content-language"] == "es" and "Conteos de elecciones sindicales" in body.decode()
        _, headers, body = await http(url, "/?lang=xx", headers="Accept-Language: fr, es;q=0.3\r\n")
        assert headers["content-language"] == "es", "an unknown ?lang= is no answer: the browser's is"
        _, headers, body = await http(url, "/")
        assert headers["content-language"] == "en" and '<html lang="en">' in body.decode()
        assert "Union election counts" in body.decode()


async def test_tally_board_in_spanish_asks_the_hub_for_spanish_rows(tmp_path):
    """`tally board ws://… --lang es`: the follower asks for rows in Spanish and takes the model's words."""
    from feeds.board import BoardFollower
    from hubkit import until

    async with running_hub(tmp_path) as (hub, url):
        await publish_events(url, "ldj5", replay("ldj5", 400))
        with use("es"):
            follower = BoardFollower(url)
            task = asyncio.ensure_future(follower.run())
            try:
                await until(lambda: any(r.get("chances") for r in follower.rows()), "a row with its needle")
            finally:
                task.cancel()
        row = follower.rows()[0]
        assert row["state_words"] == "CONTANDO"
        assert row["lead_short"] == "NO +79"
        assert row["chances"][0]["label"] == "sin sindicato" and "," in row["chances"][0]["text"]


async def test_a_hostile_language_is_english_never_an_error(tmp_path):
    """Whatever a request says of its language, the page is served (English when it names none tally
    speaks): a doubled Accept-Language is one list, a query's lang is never echoed."""
    async with running_hub(tmp_path) as (hub, url):
        for path, headers in [
            ("/e/ldj5?lang=%3Cscript%3E", ""),
            ("/?lang=es&lang=en", ""),
            ("/", "Accept-Language: " + "es;q=0.9," * 700 + "\r\n"),
            ("/", "Accept-Language: fr\r\nAccept-Language: es;q=0.5\r\n"),
            ("/", "Accept-Language: ;;;=,q=, es;q=1e999, en;q=-1, *;q=0.5\r\n"),
        ]:
            status, got, body = await http(url, path, headers=headers)
            assert status == 200, (path, headers, status)
            assert got["content-language"] in ("en", "es") and b"<script>" not in body.replace(
                b'<script src="/static/tally.js" defer></script>', b"")
        _, got, _ = await http(url, "/", headers="Accept-Language: fr\r\nAccept-Language: es;q=0.5\r\n")
        assert got["content-language"] == "es"


async def test_a_hub_in_a_spanish_process_still_sends_english_rows(tmp_path):
    """A hub run inside a Spanish terminal (`tally count --serve` with LANG=es) speaks each reader's
    language: a row's own model is English, its Spanish only under ``models``."""
    from tally import lang

    events = replay("ldj5", 300)
    lang.set_default("es")
    try:
        async with running_hub(tmp_path) as (hub, url):
            await publish_events(url, "ldj5", events)
            async with connect(f"{url}/board?id=ldj5") as english:
                row = await rows_until_settled(english, "ldj5")
    finally:
        lang.set_default("en")
    assert row["model"]["margin"].startswith("NO leads by") and "models" not in row
