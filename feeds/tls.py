"""TLS without a proxy: the hub's certificate (`--tls-cert`, `--tls-key`), and what clients trust (`--cafile`).

A hub that serves https and wss itself spares a counter in a union hall the
proxy, its configuration and its certificate renewal; the clients then check
the hub's certificate as a browser would, by default against the system's
CAs, or against a private CA given with ``--cafile`` (a hub on a LAN with a
certificate of its own). A certificate or key that cannot be used is one line
(FeedError) before anything listens or connects, never an ssl traceback.
"""

from __future__ import annotations

import ssl

from feeds.files import FeedError


def server_tls(cert: str, key: str) -> ssl.SSLContext:
    """The hub's TLS context from a PEM certificate (chain) and its private key; FeedError if unusable.

    Both files are read here, at start: an unreadable file, a file that is
    not PEM, or a key that is not the certificate's is said in one line
    naming the file, before the hub binds anything.
    """
    # ssl says "PEM lib" for either file: each is looked at first, to name the one that is wrong.
    _pem(cert, b"-----BEGIN CERTIFICATE-----", "a PEM certificate")
    _pem(key, b"PRIVATE KEY-----", "a PEM private key")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(cert, key)
    except ssl.SSLError as exc:
        raise FeedError(f"{cert}, {key}: {_why(exc)}") from None
    return context


def _pem(path: str, marker: bytes, what: str) -> None:
    """FeedError (one line) unless ``path`` can be read and holds ``marker``."""
    try:
        with open(path, "rb") as f:
            text = f.read(1 << 20)
    except OSError as exc:
        raise FeedError(f"{path}: cannot read ({(exc.strerror or str(exc)).lower()})") from None
    if marker not in text:
        raise FeedError(f"{path}: not {what}")


def client_tls(cafile: str | None) -> ssl.SSLContext | None:
    """What a client trusts for wss:// (and https://): None is the system's CAs; else only ``cafile``'s.

    Certificates and host names are always verified: a private CA is trusted
    by naming it, never by turning the checks off. FeedError (one line) if
    the file cannot be read or holds no certificate.
    """
    if cafile is None:
        return None
    try:
        return ssl.create_default_context(cafile=cafile)
    except ssl.SSLError as exc:  # an OSError too: first
        raise FeedError(f"{cafile}: not a CA certificate file ({_why(exc)})") from None
    except OSError as exc:
        raise FeedError(f"{cafile}: cannot read ({(exc.strerror or str(exc)).lower()})") from None


def own_hub_tls() -> ssl.SSLContext:
    """The context of `tally count --serve`'s link to the hub in its own process.

    That link goes to a socket this very process bound a moment earlier
    (loopback, or the address it was told to bind), so there is nobody to
    authenticate; the certificate may name a host that loopback is not. It
    is encrypted all the same.
    """
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _why(exc: ssl.SSLError) -> str:
    """An ssl error's reason, readable: "KEY_VALUES_MISMATCH" -> "the key is not the certificate's"."""
    reason = getattr(exc, "reason", None) or ""
    known = {
        "KEY_VALUES_MISMATCH": "the key is not the certificate's",
        "NO_CERTIFICATE_OR_CRL_FOUND": "no certificate in it",
    }
    return known.get(reason, reason.lower().replace("_", " ") or "not a usable certificate and key")
