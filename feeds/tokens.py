"""The hub's publish token: read from a file, or made once and kept in the data directory.

Whoever holds the token can publish into every count on the hub, so a token
file others can read (or write, to put in a token of their own) is refused,
as ssh refuses a private key anyone can read.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from feeds.files import FeedError, opened
from feeds.journal import sync_directory

TOKEN_FILE = "token"


def read_token(path: str | Path) -> str:
    """The first line of a token file; FeedError (one line) if it holds no usable token.

    The token travels in an HTTP header, so it must be printable ASCII
    without spaces. The file must be private (`check_private`).
    """
    with opened(path) as f:
        check_private(path, os.fstat(f.fileno()))
        lines = f.read().splitlines()
    token = lines[0].strip() if lines else b""
    if not token:
        raise FeedError(f"{path}: no token on the first line")
    if not (token.isascii() and token.decode().isprintable()) or b" " in token:
        raise FeedError(f"{path}: the token must be printable ASCII without spaces")
    return token.decode()


def check_private(path: str | Path, st: os.stat_result) -> None:
    """FeedError (one line, with the fix) unless the token file is yours and private.

    As ssh does with a private key: no permission at all for group or others
    (mode 0600 or stricter; 0640 lets a group publish too), and owned by the
    user running tally, or by root (only root can change such a file). A
    file owned by another user is theirs to change, whatever its mode, so
    the token in it is theirs too. Checked on the open file: the file read
    is the file checked.
    """
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o077:
        raise FeedError(f"{path}: the token file may be read or changed by others (mode {mode:04o}); "
                        f"make it yours alone: chmod 600 {path}")
    if st.st_uid not in (os.geteuid(), 0):
        raise FeedError(f"{path}: the token file belongs to another user (uid {st.st_uid}); "
                        f"use a file of your own, made with: (umask 077; cp {path} FILE)")


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
