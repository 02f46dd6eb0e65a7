"""The link preview: the count's card (a 1200×630 PNG, Pillow) and the page's Open Graph tags.

The card's words are the presentation model's (`tally.present.card_words`),
carried in the PNG's Description so a test can read what was drawn; the hub
makes it in a worker process, at most once a second per election, and
`tally report --png` writes the same picture. The tags' absolute URLs come
from a well-formed Host only; a title is data in both.
"""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys
import time
from feeds.hub.workers import Workers
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from feeds.card import SIZE, count_card
from feeds.hub.web import HOST, preview_tags
from hubkit import ask, header, publishing, raw_http, replay, running_hub, until
from tally.present import card_words, present, preview_description, preview_title
from tally.reducer import Count
from tally.odds import odds_json
from tally.present import odds_from_json
from tally.schema import parse_event
from tally.text import literal
from test_hostile_text import HOSTILE, hostile_events

TALLY = [sys.executable, "-m", "tui.cli"]


def snapshot_of(events) -> object:
    count = Count()
    for event in events:
        count.apply(event if not isinstance(event, dict) else parse_event(json.dumps(event)))
    return count.snapshot()


def card_lines(png: bytes) -> list[str]:
    """The words drawn on a card, as its PNG says them (`CardWords.lines`, empty ones left out)."""
    image = Image.open(io.BytesIO(png))
    assert image.size == SIZE == (1200, 630) and image.format == "PNG"
    image.load()
    return image.text["Description"].split("\n")


def model_lines(snap) -> list[str]:
    model = present(snap, odds_from_json(odds_json(snap)) if odds_json(snap) else None)
    return [literal(w) for w in card_words(model).lines if w]


class Metas(HTMLParser):
    """Every element of a fragment, and each meta's property/name → content."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    @property
    def meta(self) -> dict[str, str]:
        return {a.get("property") or a.get("name"): a["content"] for t, a in self.tags
                if t == "meta" and "content" in a}


def parsed(fragment: str) -> Metas:
    parser = Metas()
    parser.feed(fragment)
    parser.close()
    return parser


@pytest.mark.parametrize("n", [1, 300, None])
def test_the_card_is_a_1200x630_png_of_the_models_words(n):
    snap = snapshot_of(replay("ldj5", n))
    lines = card_lines(count_card(snap))
    assert lines == model_lines(snap)
    model = present(snap, None)
    assert model.heading in lines and model.headline in lines
    for choice in model.choices:
        assert choice.name in lines and choice.votes_text in lines


@pytest.mark.parametrize("key", ["html", "controls", "rtl", "long-word", "emoji", "format"])
def test_a_hostile_title_is_drawn_as_it_is(key):
    snap = snapshot_of(hostile_events(HOSTILE[key])[:4])
    lines = card_lines(count_card(snap))
    assert lines[0] == literal(HOSTILE[key][:200])  # the title: control characters as their symbols
    assert lines == model_lines(snap)


def test_report_png_writes_the_card_and_bad_input_changes_nothing(tmp_path):
    path = tmp_path / "ldj5.jsonl"
    path.write_text("".join(e.model_dump_json(exclude_none=True) + "\n" for e in replay("ldj5", 500)))
    out = tmp_path / "card.png"
    done = subprocess.run([*TALLY, "report", str(path), "--png", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert card_lines(out.read_bytes()) == model_lines(snapshot_of(replay("ldj5", 500)))
    before = out.read_bytes()
    for args, why in (([str(path), "--png", str(tmp_path / "no" / "such.png")], "cannot write the card"),
                      ([str(path), "--png", str(tmp_path)], "cannot write the card"),
                      ([str(tmp_path / "missing.jsonl"), "--png", str(out)], "missing.jsonl")):
        bad = subprocess.run([*TALLY, "report", *args], capture_output=True, text=True)
        assert bad.returncode == 2 and bad.stdout == ""
        assert len(bad.stderr.splitlines()) == 1 and why in bad.stderr, bad.stderr
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["card.png", "ldj5.jsonl"]  # no temporary left


@settings(max_examples=12)
@given(title=st.one_of(st.sampled_from(list(HOSTILE.values())), st.text(min_size=1, max_size=200)),
       names=st.lists(st.text(min_size=1, max_size=100).map(str.strip).filter(bool), min_size=2, max_size=6,
                      unique=True),
       votes=st.lists(st.integers(0, 3), min_size=6, max_size=6))
def test_any_count_makes_a_card_of_its_models_words(title, names, votes):
    head = {"seq": 1, "type": "election", "id": "any", "title": title[:200], "choices": names}
    ballots = [{"seq": i, "type": "ballot", "choice": name, "count": n}
               for i, (name, n) in enumerate(((nm, v) for nm, v in zip(names, votes) if v), 2)]
    snap = snapshot_of([head, *ballots])
    assert card_lines(count_card(snap)) == model_lines(snap)


# -- the tags -------------------------------------------------------------------

@given(host=st.one_of(st.text(max_size=60), st.from_regex(HOST, fullmatch=True)),
       title=st.text(min_size=1, max_size=200), secure=st.booleans())
def test_the_tags_are_only_meta_tags_and_name_only_a_well_formed_host(host, title, secure):
    snap = snapshot_of([{"seq": 1, "type": "election", "id": "e-1", "title": title},
                        {"seq": 2, "type": "ballot", "choice": "yes"}])
    tags = parsed(preview_tags(snap, host, secure))
    assert {t for t, _ in tags.tags} == {"meta"}  # nothing a title or a Host says became markup
    assert all(len(a) == 2 for _, a in tags.tags)
    meta = tags.meta
    assert meta["og:title"] == literal(preview_title(snap))
    assert meta["og:description"] == literal(preview_description(snap))
    if HOST.fullmatch(host):
        base = f"{'https' if secure else 'http'}://{host}"
        assert meta["og:image"] == meta["twitter:image"] == f"{base}/card/e-1.png"
        assert meta["og:url"] == f"{base}/e/e-1" and meta["twitter:card"] == "summary_large_image"
        assert (meta["og:image:width"], meta["og:image:height"]) == ("1200", "630")
    else:
        assert not {"og:image", "og:url", "twitter:image"} & set(meta)
        assert meta["twitter:card"] == "summary"


async def get(url: str, path: str, host: str) -> tuple[int, bytes]:
    answer = await raw_http(url, f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


async def test_the_count_page_previews_itself_and_the_card_is_made_off_the_loop(tmp_path):
    events = [e.model_dump_json(exclude_none=True) for e in replay("ldj5")]
    async with running_hub(tmp_path / "hub") as (hub, url):
        async with publishing(url, "ldj5") as ws:
            for frame in events[:300]:
                assert "ack" in await ask(ws, frame)
            host = f"127.0.0.1:{url.rsplit(':', 1)[1]}"
            status, page = await get(url, "/e/ldj5", host)
            meta = parsed(page.decode().split("<body")[0]).meta
            assert status == 200 and meta["og:image"] == f"http://{host}/card/ldj5.png"
            status, png = await get(url, "/card/ldj5.png", host)
            assert status == 200 and card_lines(png) == model_lines(hub.elections["ldj5"].count.snapshot())
            assert isinstance(hub.cards._pool, Workers)  # a worker process: never the loop's thread, nor a thread

            # the count moves on: the card follows, made at most once a second
            made, started = hub.cards.made, time.monotonic()
            for frame in events[300:400]:
                assert "ack" in await ask(ws, frame)
                await asyncio.sleep(0.01)
            await until(lambda: hub.cards.cards["ldj5", "en"].state == (400, 0), "the card of the last state")
            elapsed = time.monotonic() - started
            assert hub.cards.made - made <= 1 + elapsed / hub.cards.every
            status, png = await get(url, "/card/ldj5.png", host)
            assert card_lines(png) == model_lines(hub.elections["ldj5"].count.snapshot())

        assert (await get(url, "/card/nope.png", host))[0] == 404
        for path in ("/card/../token.png", "/card/LDJ5.png", "/card/ldj5.png.png", "/overlay/%3Cscript%3E",
                     "/overlay/ldj5/x", "/card/" + "a" * 65 + ".png"):  # no such id can be named
            assert (await get(url, path, host))[0] == 404, path
        async with publishing(url, "other") as ws:
            assert "ack" in await ask(ws, header("other"))
        hub.cards.most = 1  # asking for every election's card cannot hold the hub's memory
        assert (await get(url, "/card/other.png", host))[0] == 200
        assert list(hub.cards.cards) == [("other", "en")]
        status, page = await get(url, "/e/nope", host)
        assert status == 200 and b'property="og:' not in page  # a count the hub does not have: no tags
        status, page = await get(url, "/e/ldj5", 'evil.invalid"><script>alert(1)</script>')
        assert status == 200 and b"evil.invalid" not in page and b'og:image"' not in page


async def test_a_hostile_title_in_the_page_head_is_text(tmp_path):
    async with running_hub(tmp_path / "hub") as (hub, url):
        async with publishing(url, "xss") as ws:
            title = '"><script>alert(1)</script><meta property="og:image" content="x'
            assert "ack" in await ask(ws, header("xss", title=title))
        status, page = await get(url, "/e/xss", "127.0.0.1")
        head = page.decode().split("</head>")[0]
        tags = parsed(head)
        assert [a for t, a in tags.tags if t == "script"] == [{"src": "/static/tally.js", "defer": None}]
        assert tags.meta["og:title"].startswith(title)
        assert tags.meta["og:image"] == "http://127.0.0.1/card/xss.png"


async def test_a_spanish_page_previews_itself_with_a_spanish_card(tmp_path):
    """A page read in Spanish (Accept-Language or ?lang=es) names its card in Spanish; English stays the default."""
    from tally.lang import use

    events = [e.model_dump_json(exclude_none=True) for e in replay("ldj5", 300)]
    async with running_hub(tmp_path / "hub") as (hub, url):
        async with publishing(url, "ldj5") as ws:
            for frame in events:
                assert "ack" in await ask(ws, frame)
        host = f"127.0.0.1:{url.rsplit(':', 1)[1]}"
        status, page = await get(url, "/e/ldj5?lang=es", host)
        meta = parsed(page.decode().split("<body")[0]).meta
        assert meta["og:image"] == f"http://{host}/card/ldj5.png?lang=es"
        assert meta["og:url"] == f"http://{host}/e/ldj5?lang=es"
        snap = hub.elections["ldj5"].count.snapshot()
        with use("es"):
            spanish = model_lines(snap)
        assert spanish != model_lines(snap)
        status, png = await get(url, "/card/ldj5.png?lang=es", host)
        assert status == 200 and card_lines(png) == spanish
        status, png = await get(url, "/card/ldj5.png?lang=xx", host)  # a language tally does not speak
        assert status == 200 and card_lines(png) == model_lines(snap)
        assert set(hub.cards.cards) == {("ldj5", "es"), ("ldj5", "en")}


async def test_cards_asked_for_by_the_hundred_are_each_answered_at_once_or_refused_at_once(tmp_path, monkeypatch):
    """More cards asked for than the hub keeps (MOST) or queues (QUEUED): every request has its answer.

    A card asked for past MOST used to be dropped as it was made, its reader left waiting until
    the connection timed out (10 s, no answer); and a queue of anyone's cards made a reader wait
    for all of them. Past QUEUED a new card is refused at once (503), and the reader's card,
    asked for afterwards, is made.
    """
    import feeds.hub.cards

    monkeypatch.setattr(feeds.hub.cards, "QUEUED", 4)
    data = tmp_path / "hub"
    data.mkdir()
    for i in range(12):
        (data / f"c{i}.jsonl").write_text(header(f"c{i}") + "\n")
    async with running_hub(data) as (hub, url):
        hub.cards.most = 3
        host = f"127.0.0.1:{url.rsplit(':', 1)[1]}"
        started = time.monotonic()
        answers = await asyncio.gather(*(get(url, f"/card/c{i}.png?lang={lang}", host)
                                         for i in range(12) for lang in ("en", "es")))
        statuses = [status for status, _ in answers]
        assert set(statuses) <= {200, 503} and statuses.count(200) >= 4, statuses
        assert time.monotonic() - started < 8  # none waited for its connection's 10 s timeout
        assert all(png.startswith(b"\x89PNG") for status, png in answers if status == 200)
        status, png = await get(url, "/card/c11.png", host)  # the queue gone: a reader's card is made
        assert status == 200 and png.startswith(b"\x89PNG")
