"""The hub's publish token: read from a file, or made once and kept in the data directory."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from feeds.files import FeedError, read_bytes
from feeds.journal import sync_directory

TOKEN_FILE = "token"


def read_token(path: str | Path) -> str:
    """The first line of a token file; FeedError (one line) if it holds no usable token.

    The token travels in an HTTP header, so it must be printable ASCII
    without spaces.
    """
    lines = read_bytes(path).splitlines()
    token = lines[0].strip() if lines else b""
    if not token:
        raise FeedError(f"{path}: no token on the first line")
    if not (token.isascii() and token.decode().isprintable()) or b" " in token:
        raise FeedError(f"{path}: the token must be printable ASCII without spaces")
    return token.decode()


def hub_token(data_dir: Path, token_file: str | None) -> tuple[str, str]:
    """The token for a hub, and one line saying where it is.

    Without a token file the hub makes one and keeps it in DIR/token (mode
    0600), and a restarted hub reuses it, so publishers' tokens stay valid
    across restarts.
    """
    if token_file is not None:
        return read_token(token_file), f"the publish token is the first line of {token_file}"
    path = data_dir / TOKEN_FILE
    if path.exists():
        return read_token(path), f"the publish token is in {path}"
    token = secrets.token_urlsafe(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise FeedError(f"{path}: cannot write the token ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "w") as f:
            f.write(token + "\n")
            f.flush()
            os.fsync(f.fileno())
        sync_directory(data_dir)  # the name too: a token handed out must survive a crash
    except OSError as exc:  # a full disk: leave no empty token file to be read next time
        path.unlink(missing_ok=True)
        raise FeedError(f"{path}: cannot write the token ({exc.strerror})") from None
    return token, f"the publish token is in {path} (new, readable by you alone)"
