"""Issue 19, item 2: TLS without a proxy, with a CA made here (trustme).

A real TLS handshake every time: the hub serves https and wss with a
certificate of a private CA (`tally serve --tls-cert --tls-key`, and
`tally count --serve` with the same flags); clients that are given the CA
(`--cafile`) publish and watch; a client that is not is refused in one line,
and not retried; a certificate or key that cannot be used stops the hub
before it makes or binds anything. Chromium loads the https page trusting
exactly the hub's key, and the page's WebSocket is wss://.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import re
import shutil
import subprocess
import sys

import pytest

from feeds.files import FeedError
from feeds.board import BoardFollower
from feeds.publisher import Publisher
from feeds.tls import client_tls, server_tls
from feeds.link import HubError
from feeds.watcher import Watcher, list_elections
from hubkit import FAST, TOKEN, replay, until
from feeds.hub import Hub, bound_port

trustme = pytest.importorskip("trustme")

TALLY = [sys.executable, "-m", "tui.cli"]
CHROMIUM = os.environ.get("TALLY_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


class Pki:
    """A private CA, a certificate it signed for 127.0.0.1, and a stranger's CA, as PEM files."""

    def __init__(self, where) -> None:
        ca, stranger = trustme.CA(), trustme.CA()
        issued = ca.issue_cert("127.0.0.1", "localhost")
        self.ca, self.stranger = where / "ca.pem", where / "stranger.pem"
        self.cert, self.key = where / "cert.pem", where / "key.pem"
        self.other_key = where / "other-key.pem"
        ca.cert_pem.write_to_path(self.ca)
        stranger.cert_pem.write_to_path(self.stranger)
        issued.cert_chain_pems[0].write_to_path(self.cert)
        issued.private_key_pem.write_to_path(self.key)
        stranger.issue_cert("127.0.0.1").private_key_pem.write_to_path(self.other_key)
        self.spki = _spki(issued.cert_chain_pems[0].bytes())


def _spki(pem: bytes) -> str:
    """Chromium's pin of a certificate's key: base64 of the SHA-256 of its SubjectPublicKeyInfo."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    key = x509.load_pem_x509_certificate(pem).public_key()
    return base64.b64encode(hashlib.sha256(
        key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)).digest()).decode()


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return Pki(tmp_path_factory.mktemp("pki"))


def tally(*args, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([*TALLY, *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)


# -- the hub's certificate -----------------------------------------------------------

def test_a_bad_certificate_or_key_is_one_line(pki, tmp_path):
    (tmp_path / "empty.pem").write_text("")
    cases = {
        (pki.cert, pki.other_key): f"{pki.cert}, {pki.other_key}: the key is not the certificate's",
        (pki.key, pki.key): f"{pki.key}: not a PEM certificate",
        (pki.cert, pki.cert): f"{pki.cert}: not a PEM private key",
        (pki.cert, tmp_path / "empty.pem"): f"{tmp_path / 'empty.pem'}: not a PEM private key",
        (tmp_path / "nope.pem", pki.key): f"{tmp_path / 'nope.pem'}: cannot read (no such file or directory)",
    }
    for (cert, key), says in cases.items():
        with pytest.raises(FeedError) as refused:
            server_tls(str(cert), str(key))
        assert str(refused.value) == says
    with pytest.raises(FeedError, match="not a CA certificate file"):
        client_tls(str(pki.key))


def test_tally_serve_with_a_mismatched_key_is_one_line_exit_2_and_makes_nothing(pki, tmp_path):
    done = tally("serve", "--port", 0, "--data", "d", "--tls-cert", pki.cert, "--tls-key", pki.other_key,
                 cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"tally: {pki.cert}, {pki.other_key}: the key is not the certificate's\n"
    assert not (tmp_path / "d").exists()
    done = tally("count", "j.jsonl", "--serve", 0, "--tls-cert", pki.cert, "--tls-key", pki.other_key,
                 cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and list(tmp_path.iterdir()) == []


# -- clients over a real TLS handshake ---------------------------------------------------

async def test_clients_given_the_ca_publish_and_watch_over_wss_others_are_refused_in_one_line(pki, tmp_path):
    hub = Hub.open(tmp_path / "hub", TOKEN)
    try:
        async with hub.serve("127.0.0.1", 0, ssl=server_tls(str(pki.cert), str(pki.key))) as server:
            url = f"wss://127.0.0.1:{bound_port(server)}"
            events = replay("ldj5", 60)
            publisher = Publisher(events, url, TOKEN, wait=FAST, tls=client_tls(str(pki.ca)))
            running = asyncio.create_task(publisher.run())
            await until(lambda: publisher.link.seq == 60, "60 events published over wss")
            publisher.close()
            await running
            assert len(hub.elections["ldj5"].frames) == 60

            trusted = Watcher(f"{url}/elections/ldj5", wait=FAST, tls=client_tls(str(pki.ca)))
            seen = []
            async for event in trusted.events():
                seen.append(event)
                if len(seen) == 60:
                    trusted.close()
            assert seen == events

            for tls in (None, client_tls(str(pki.stranger))):  # the system's CAs; another CA
                watcher = Watcher(f"{url}/elections/ldj5", wait=FAST, tls=tls)
                assert [e async for e in watcher.events()] == []
                assert watcher.link.state == "refused"
                assert watcher.link.detail.startswith("certificate not trusted (unable to get local issuer")
                assert "\n" not in watcher.link.detail

            listed = await list_elections(url, tls=client_tls(str(pki.ca)))  # tally watch wss://HOST:PORT
            assert [e["id"] for e in listed] == ["ldj5"]
            with pytest.raises(HubError, match=r"^https://127\.0\.0\.1:\d+/elections: certificate not trusted"):
                await list_elections(url)

            board = BoardFollower(url, wait=FAST, tls=client_tls(str(pki.ca)))
            following = asyncio.create_task(board.run())
            await until(lambda: board.ready and "ldj5" in board.summaries, "the board over wss")
            following.cancel()
    finally:
        await hub.aclose()


def test_tally_serve_over_tls_publish_with_cafile_and_chromium_on_https_uses_wss(pki, tmp_path):
    proc = subprocess.Popen([*TALLY, "serve", "--port", "0", "--data", str(tmp_path / "d"),
                             "--tls-cert", str(pki.cert), "--tls-key", str(pki.key)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        listening = re.search(r"listening on wss://127\.0\.0\.1:(\d+) ", proc.stdout.readline())
        assert listening, "tally serve --tls-cert says it listens on wss://"
        hub = f"wss://127.0.0.1:{listening[1]}"
        token = tmp_path / "d" / "token"
        done = tally("publish", "ldj5", hub, "--token-file", token, cwd=tmp_path)
        assert done.returncode == 2 and done.stderr.startswith(f"tally: {hub}: certificate not trusted")
        assert done.stderr.count("\n") == 1
        done = tally("publish", "ldj5", hub, "--token-file", token, "--cafile", pki.ca, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        _chromium_loads_the_https_page_and_its_websocket_is_wss(pki, f"https{hub[3:]}/e/ldj5")
    finally:
        proc.terminate()
        proc.wait()


def _chromium_loads_the_https_page_and_its_websocket_is_wss(pki, url: str) -> None:
    """Chromium trusts exactly the hub's key (its SPKI pin), not every certificate."""
    from test_page import _missing  # skipped without a browser, failed when CI requires one

    try:
        from playwright import sync_api
    except ImportError:
        _missing("playwright is not installed")
    if not os.path.exists(CHROMIUM):
        _missing(f"no Chromium at {CHROMIUM}")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=[f"--ignore-certificate-errors-spki-list={pki.spki}"])
        try:
            page = browser.new_page()
            sockets: list[str] = []
            page.on("websocket", lambda ws: sockets.append(ws.url))
            page.goto(url)
            page.wait_for_function(
                "() => document.querySelector('.choice[data-choice=\"no\"] .count')?.textContent.includes('618')",
                timeout=20_000)
            assert page.evaluate("location.protocol") == "https:"
            assert sockets and all(s.startswith(url.replace("https://", "wss://").split("/e/")[0]) for s in sockets)
        finally:
            browser.close()


async def test_count_serve_with_a_certificate_serves_https_and_its_own_link_is_wss(pki, tmp_path):
    from test_serve19 import acked, lines, press, serving_app, stopped

    from dash import until as drawn

    path = tmp_path / "j.jsonl"
    app, served = serving_app(path, tls=server_tls(str(pki.cert), str(pki.key)), title="T")
    assert served.page.startswith("https://127.0.0.1:") and served.own_link().startswith("wss://")
    async with app.run_test() as pilot:
        await press(pilot, "y", "n", "y")
        await drawn(pilot, lambda: acked(app) == len(lines(path)) == 4)
        watcher = Watcher(f"wss://127.0.0.1:{served.port}/elections/j", wait=FAST,
                          tls=client_tls(str(pki.ca)))
        seen = []
        async for event in watcher.events():
            seen.append(event)
            if len(seen) == 4:
                watcher.close()
        assert [e.model_dump_json(exclude_none=True) for e in seen] == lines(path)
    app.journal.close()
    await stopped(served.port)


@pytest.mark.parametrize("command", [
    ("watch", "wss://127.0.0.1:9/elections/x"),
    ("board", "wss://127.0.0.1:9"),
    ("publish", "ldj5", "wss://127.0.0.1:9", "--token-file", "token"),
    ("count", "j.jsonl", "--publish", "wss://127.0.0.1:9", "--token-file", "token"),
], ids=["watch", "board", "publish", "count"])
def test_every_client_takes_cafile_and_an_unreadable_one_is_one_line_exit_2(tmp_path, command):
    (tmp_path / "token").write_text("secret\n")
    (tmp_path / "token").chmod(0o600)
    done = tally(*command, "--cafile", "no-such-ca.pem", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == "tally: no-such-ca.pem: cannot read (no such file or directory)\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["token"]  # no journal begun
