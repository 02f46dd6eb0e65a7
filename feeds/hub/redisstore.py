"""The Redis store: each election is a Redis stream, and any number of hubs share them.

A stream is an append-only log read from any ID on (``XREAD ... STREAMS key
<last-id>``), which is exactly an election with ``?since=``: the event with
seq N is the entry with ID ``N-0``, its one field ``e`` the event's JSON as
every hub sends it. Keys (in the URL's database):

    tally:election:<id>   the election's events, entries 1-0, 2-0, ...
    tally:elections       one entry per election, made with its header: how hubs learn of new ones
    tally:token           the publish token, when no --token-file is given

An append is one Lua script (`APPEND`), so it is one atomic step however
many hubs race for a seq: it stores the event only if the stream ends at the
seq the hub checked the rules against, and otherwise says what is there
(the same event, a different one, or more than the hub has counted).
Redis acknowledges the script once it is in its append-only file, fsync'd
(``appendonly yes``, ``appendfsync always``, checked at start), so an event
is durable before the hub acknowledges it, as with the file store.

Each hub has one reader (`follow`): a blocking ``XREAD`` over every election
it has plus the index, from the last seq it has counted of each. Whatever
any hub stores reaches every hub's watchers through it, in seq order.
redis is imported only by this module: only ``--store redis://`` needs it.

Anyone with access to the Redis can write into it, so nothing read from it
is taken on trust (`hub_entries`): an entry a hub did not write (another
ID, another field, a gap, JSON that is not an event or not as a hub writes
it, a header naming another election, a key that is not a stream) stops
that election where it is, said in one log line; the others go on. It is
read again after a wait that doubles up to a minute (`Refusal`), never in a
loop, and taken back if it was mended. Durability is checked again while
the hub runs (`_still_durable`): a Redis switched to ``appendfsync
everysec`` gets no event acknowledged until it is switched back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import re
import secrets
import time
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError, ResponseError

from feeds.hub.store import Appended, Deliver, Loaded, NotStored, Reachable, Store, StoreError
from tally.reducer import Count, RuleError
from tally.schema import MAX_LINE, Election, EventError, dump_event, parse_event
from tally.text import literal

log = logging.getLogger("tally.hub")

PREFIX = "tally:election:"
INDEX = "tally:elections"
TOKEN_KEY = "tally:token"
FIELD = "e"
PAGE = 10_000
"""Entries read per XRANGE/XREAD: one page of a long election at a time."""
BLOCK_MS = 2_000
"""How long one XREAD waits for news before it is asked again: well under
the client's socket timeout, so a blocked read is never taken for a dead Redis."""
SOCKET_TIMEOUT = 10.0
RELAXED = "relaxed"
DURABLE_FOR = 2.0
"""Seconds a check that Redis is durable (CONFIG GET) is trusted: an append
after that checks again first, and the reader checks at least as often."""
RECHECK_FIRST, RECHECK_MOST = 1.0, 60.0
"""Seconds before a refused election is read again: doubling from the first to the most."""
ELECTION_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
"""An election's id (the header's pattern, tally/schema.py): what an index entry must name."""

APPEND = """
-- One event appended to an election, atomically (feeds/hub/redisstore.py).
-- KEYS[1] the election's stream, KEYS[2] the index of elections.
-- ARGV[1] seq, ARGV[2] the event's JSON, ARGV[3] the seq the hub's count is at, ARGV[4] the id.
-- IDs are built from ARGV[1] as given: Lua's numbers would print a large seq as 1e+15.
local top = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local last = 0
if top[1] then last = tonumber(string.match(top[1][1], '^%d+')) end
local seq = tonumber(ARGV[1])
if seq <= last then
  local at = redis.call('XRANGE', KEYS[1], ARGV[1] .. '-0', ARGV[1] .. '-0')
  if at[1] and at[1][2][2] == ARGV[2] then return {'same', last} end
  return {'different', last}
end
if last ~= tonumber(ARGV[3]) or seq ~= last + 1 then return {'behind', last} end
redis.call('XADD', KEYS[1], ARGV[1] .. '-0', 'e', ARGV[2])
if seq == 1 then redis.call('XADD', KEYS[2], '*', 'id', ARGV[4]) end
return {'stored', seq}
"""


SCHEMES = ("redis", "rediss", "unix")
USAGE = "redis://HOST:PORT/DB"


def check_url(url: str) -> None:
    """StoreError (one line) unless ``url`` is a Redis URL with a numbered database, if any.

    redis-py's own parser takes ``redis://host/x`` as database 0 without a
    word; a typo must not put a count into the wrong database.
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise StoreError(f"--store {shown(url)}: not a Redis URL ({exc}); give {USAGE}") from None
    if parts.scheme not in SCHEMES:
        raise StoreError(f"--store {shown(url)}: not a Redis URL; give {USAGE} "
                         "(the file store is --data DIR)")
    if parts.scheme != "unix":
        if not parts.hostname:
            raise StoreError(f"--store {shown(url)}: no host; give {USAGE}")
        if parts.path.strip("/") and not parts.path.strip("/").isdigit():
            raise StoreError(f"--store {shown(url)}: the database is a number ({USAGE})")


def shown(url: str) -> str:
    """The URL without its password (even a malformed one's): it goes to logs and to the screen."""
    return re.sub(r"(://[^:@/]*:)[^@/]*@", r"\1***@", url)


def _why(exc: BaseException) -> str:
    """A Redis client error in one line (some carry several): the system's words when it has them."""
    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, OSError) and cause.errno and cause.errno > 0:  # not a resolver's error
        return os.strerror(cause.errno).lower()
    if isinstance(cause, OSError) and cause.strerror:
        return cause.strerror.lower()
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


class Malformed(Exception):
    """Something in Redis that no hub writes; the message says what, in one line."""


def hub_entries(election_id: str, after: int,
                entries: list[tuple[str, dict[str, str]]]) -> tuple[list[tuple[int, str]], str | None]:
    """The entries of an election's stream that a hub wrote, from seq ``after + 1`` on, as (seq, frame).

    They stop at the first entry no hub writes, and the second item says why
    (None if there is none): the entry with seq N has the ID ``N-0`` (no gap,
    nothing between), one field ``e``, valid UTF-8 within the format's line
    limit, an event with seq N exactly as a hub dumps it, and seq 1 is the
    header of this election (not of another: the hub would list it twice).
    The rules of the count are the hub's to check, on what this lets by.
    """
    good: list[tuple[int, str]] = []
    for seq, (entry_id, fields) in enumerate(entries, after + 1):
        try:
            good.append((seq, _frame(election_id, seq, entry_id, fields)))
        except Malformed as exc:
            return good, f"entry {_visible(entry_id)}: {exc}"
    return good, None


def _frame(election_id: str, seq: int, entry_id: str, fields: dict[str, str]) -> str:
    """The event's JSON of one entry, if it is the one a hub writes for ``seq``; Malformed why not."""
    if entry_id != f"{seq}-0":
        raise Malformed(f"the entry after seq {seq - 1} must be {seq}-0")
    if list(fields) != [FIELD]:
        raise Malformed(f"fields {', '.join(map(_visible, fields)) or 'none'}: a hub writes one, {FIELD}")
    frame = fields[FIELD]
    try:
        size = len(frame.encode())  # a byte that is not UTF-8 was read as a lone surrogate
    except UnicodeEncodeError:
        raise Malformed("not UTF-8") from None
    if size > MAX_LINE:
        raise Malformed(f"{size:,} bytes: an event is at most {MAX_LINE:,}")
    try:
        event = parse_event(frame)
    except EventError as exc:
        raise Malformed(str(exc)) from None
    if event.seq != seq:
        raise Malformed(f"holds seq {event.seq}")
    if dump_event(event) != frame:
        raise Malformed("the event is not written as a hub writes it")
    if (seq == 1) != isinstance(event, Election):
        raise Malformed("only seq 1 is an election header" if seq != 1 else "seq 1 is not a header")
    if seq == 1 and event.id != election_id:
        raise Malformed(f"the header of election {event.id!r}, in the stream of {election_id!r}")
    return frame


def index_id(fields: dict[str, str]) -> str:
    """The election an index entry names; Malformed unless it is a hub's (one field, id, a valid id)."""
    if list(fields) != ["id"] or not ELECTION_ID.fullmatch(fields["id"]):
        raise Malformed("a hub's entry names one election: id=<a valid id>")
    return fields["id"]


def _visible(text: str) -> str:
    """Text from Redis for a log line: its repr, cut short (it may hold anything, of any length)."""
    return repr(text[:40] + ("…" if len(text) > 40 else ""))[1:-1]


def _wrong_type(exc: RedisError) -> bool:
    return isinstance(exc, ResponseError) and str(exc).startswith("WRONGTYPE")


@dataclass
class Refusal:
    """A key whose content no hub wrote: why (said once), and when to read it again."""

    why: str
    wait: float = RECHECK_FIRST
    due: float = 0.0

    def again(self) -> None:
        """Still broken in the same way: wait twice as long before the next look (at most a minute)."""
        self.due = time.monotonic() + self.wait
        self.wait = min(self.wait * 2, RECHECK_MOST)


class RedisStore(Store):
    """Elections in the Redis at ``url``, shared with every hub that uses it."""

    shared = True

    def __init__(self, client: redis.Redis, url: str, durability: str = "always") -> None:
        self._redis = client
        self.db = client.connection_pool.connection_kwargs.get("db", 0)
        self.url = shown(url)
        self.where = f"in {self.url}"
        self.repaired: list[str] = []  # Redis replays its own log: nothing here is ever torn
        self._append = client.register_script(APPEND)
        self._loaded: list[Loaded] = []
        self._index_last = "0-0"
        self._ids: set[str] = set()
        self._read: dict[str, int] = {}
        """The last seq of each election the reader has read and let by: never read twice."""
        self.refused: dict[str, Refusal] = {}
        """Keys holding what no hub writes (an election's stream, or the index), and why."""
        self._durability = durability
        self._not_durable: str | None = None
        self._durable_checked = -math.inf

    @classmethod
    async def open(cls, url: str, durability: str = "always",
                   warn: Callable[[str], None] | None = None) -> RedisStore:
        """Connect, check that Redis is durable, and load every election; StoreError (one line) if not.

        ``durability`` "relaxed" accepts a Redis without ``appendfsync
        always``, and ``warn`` says so: a Redis crash may then lose events
        that were acknowledged.
        """
        check_url(url)
        try:
            client = redis.from_url(
                url, decode_responses=True, socket_timeout=SOCKET_TIMEOUT, socket_connect_timeout=5,
                # Bytes that are not UTF-8 are read as lone surrogates, not an
                # error that would fail the whole reply: `hub_entries` refuses them.
                encoding_errors="surrogateescape",
                # One retry, at once: enough for a pooled connection that died
                # with a Redis restart. More, with backoff, would hold every
                # event a publisher has in flight while Redis is down (its
                # close waits behind them); the publisher retries by itself,
                # and a script run twice is answered "same" the second time.
                retry=Retry(NoBackoff(), 1))
        except ValueError as exc:
            raise StoreError(f"--store {shown(url)}: {exc} (give redis://HOST:PORT/DB)") from None
        store = cls(client, url, durability)
        try:
            await client.ping()
            await store._check_durable(warn)
            await store._load()
        except RedisError as exc:
            await client.aclose()
            if _wrong_type(exc):
                raise StoreError(f"{store.url}: {INDEX} is not a stream; it is not a tally store") \
                    from None
            raise StoreError(f"{store.url}: cannot use Redis ({_why(exc)})") from None
        except BaseException:
            await client.aclose()
            raise
        return store

    # -- durability ------------------------------------------------------------------
    async def _durability_problem(self) -> str | None:
        """What Redis says of its append-only file, if it does not fsync each write before answering."""
        try:
            config = await self._redis.config_get("append*")
        except ResponseError as exc:  # CONFIG renamed or refused, as some hosted Redis do
            return f"CONFIG GET failed: {_why(exc)}"
        if config.get("appendonly") == "yes" and config.get("appendfsync") == "always":
            return None
        return f"appendonly {config.get('appendonly')}, appendfsync {config.get('appendfsync')}"

    async def _check_durable(self, warn: Callable[[str], None] | None) -> None:
        found = await self._durability_problem()
        self._durable_checked = time.monotonic()
        if found is None:
            return
        if self._durability != RELAXED:
            raise StoreError(f"{self.url}: Redis does not store each event durably before it "
                             f"answers ({found}); run it with --appendonly yes --appendfsync always, "
                             f"or accept less with --store-durability {RELAXED}")
        if warn is not None:
            warn(f"WARNING: {self.url} is not known to fsync each event ({found}): "
                 "a Redis crash may lose events that were acknowledged")

    async def _still_durable(self) -> None:
        """NotStored while Redis is not durable (asked again once DURABLE_FOR has passed).

        Checked at start is not enough: ``CONFIG SET appendfsync everysec``
        on a running Redis would let acknowledged events be lost without a
        word. CONFIG cannot run inside the append's script, so an append
        trusts a check at most DURABLE_FOR seconds old. A change either way
        is logged once.
        """
        if self._durability == RELAXED:
            return
        if time.monotonic() - self._durable_checked >= DURABLE_FOR:
            found = await self._durability_problem()
            self._durable_checked = time.monotonic()
            if found != self._not_durable:
                if found is None:
                    log.warning("%s: Redis is durable again: events are stored and acknowledged", self.url)
                else:
                    log.error("%s: Redis is no longer durable (%s): no event is acknowledged until it "
                              "runs with appendfsync always again", self.url, found)
            self._not_durable = found
        if self._not_durable is not None:
            raise NotStored(f"Redis is not durable ({self._not_durable}); it must run with "
                            "appendonly yes, appendfsync always", self.url, "")

    # -- reading, and refusing what no hub wrote -------------------------------------------
    async def _load(self) -> None:
        for entry_id, fields in await self._entries(INDEX, "-"):
            self._index_last = entry_id
            self._learn(entry_id, fields)
        for election_id in sorted(self._ids):
            frames = [frame for _, frame in await self._checked(election_id, 0)]
            count = Count()
            try:
                for frame in frames:
                    count.apply(parse_event(frame))
            except RuleError as exc:
                # The format holds but the rules do not: read again, it would be
                # refused again (by the hub's count): refused until a restart.
                self._refuse(PREFIX + election_id, f"seq {count.last_seq + 1}: {exc}", for_good=True)
                frames = frames[:count.last_seq]
            self._read[election_id] = len(frames)
            if frames:
                self._loaded.append(Loaded(count, frames))

    def _learn(self, entry_id: str, fields: dict[str, str]) -> None:
        """An index entry: its election is followed from now on; one that no hub wrote is said once."""
        try:
            self._ids.add(index_id(fields))
        except Malformed as exc:
            log.error("%s: %s entry %s: %s; passed over", self.url, INDEX, _visible(entry_id),
                      literal(str(exc)))

    async def _checked(self, election_id: str, last: int) -> list[tuple[int, str]]:
        """The events a hub wrote after seq ``last``, up to the first entry that no hub wrote (refused)."""
        key = PREFIX + election_id
        if key in self.refused:
            return []
        try:
            entries = await self._entries(key, f"{last + 1}-0")
        except ResponseError as exc:
            if not _wrong_type(exc):
                raise
            self._refuse(key, "not a stream")
            return []
        good, why = hub_entries(election_id, last, entries)
        if why is not None:
            self._refuse(key, why)
        return good

    def _refuse(self, key: str, why: str, for_good: bool = False) -> None:
        """Take nothing more from ``key``: said once (again only if the reason changes); read again later."""
        refusal = self.refused.get(key)
        if refusal is None or refusal.why != why:
            log.error("%s: %s %s; %s", self.url, key, literal(why),
                      "refused until the hub is restarted" if for_good else
                      "nothing more is read or stored there until it is mended (checked again "
                      "after a wait that doubles up to a minute)")
            refusal = self.refused[key] = Refusal(why)
        refusal.again()
        if for_good:
            refusal.due = math.inf

    async def _entries(self, key: str, start: str) -> list[tuple[str, dict[str, str]]]:
        """Every entry of a stream from ID ``start`` on, a page at a time."""
        entries: list[tuple[str, dict[str, str]]] = []
        while True:
            page = await self._redis.xrange(key, start, "+", count=PAGE)
            entries.extend(page)
            if len(page) < PAGE:
                return entries
            start = "(" + page[-1][0]

    def loaded(self) -> list[Loaded]:
        return self._loaded

    async def append(self, election_id: str, seq: int, frame: str, hub_last: int) -> Appended:
        refusal = self.refused.get(PREFIX + election_id)
        if refusal is not None:
            raise NotStored(f"{PREFIX}{election_id} {refusal.why}", self.url, "")
        try:
            await self._still_durable()
            answer, last = await self._append(keys=[PREFIX + election_id, INDEX],
                                              args=[seq, frame, hub_last, election_id])
        except ResponseError as exc:  # reached, and refused: a key no hub made as it is
            raise NotStored(f"Redis refused it ({_why(exc)})", self.url, "redis refused") from None
        except RedisError as exc:
            raise self._not_stored(exc) from None
        if answer == "behind" and last < hub_last:
            # Redis has fewer events than this hub counted: it lost acknowledged
            # ones (a crash without appendfsync always, a FLUSHDB). Nothing
            # appended now could be trusted to follow what watchers have seen.
            raise NotStored(f"Redis holds {last} events of {election_id}, fewer than the "
                            f"{hub_last} this hub has counted", self.url, "redis lost", whole=False)
        return Appended(answer)

    async def since(self, election_id: str, last: int) -> list[tuple[int, str]]:
        try:
            good = await self._checked(election_id, last)
        except RedisError as exc:
            raise self._not_stored(exc) from None
        if good:
            self._read[election_id] = max(self._read.get(election_id, 0), good[-1][0])
        return good

    def _not_stored(self, exc: RedisError) -> NotStored:
        return NotStored(f"Redis unreachable ({_why(exc)})", self.url, "redis")

    async def follow(self, deliver: Deliver, following: Callable[[], dict[str, int]],
                     reachable: Reachable) -> None:
        """One blocking XREAD at a time, over the index and every election, from what the hub has.

        The read starts from the hub's own last seq of each election, not
        from what this reader last saw: events the hub counted itself (its
        publishers') are then not read again; nor from before what it last
        let by (`_read`), so an entry the hub would not count is not read
        again and again. Keys that hold what no hub wrote are left out, and
        looked at again when their wait is over. Redis being down is said
        once, and again when it is back; the reader keeps trying meanwhile.
        """
        pause = 0.1
        down = False
        while True:
            try:
                reply, starts = await self._read_once(deliver, following)
            except RedisError as exc:
                if not down:
                    log.warning("%s: Redis unreachable (%s); reading again until it is back",
                                self.url, _why(exc))
                    reachable(_why(exc))
                down = True
                await asyncio.sleep(pause)
                pause = min(pause * 2, 1.0)
                continue
            if down:
                log.warning("%s: Redis reachable again", self.url)
                reachable(None)
                down = False
            pause = 0.1
            for key, entries in reply:
                why = self._take(key, starts[key], entries, deliver)
                if why is not None:
                    self._refuse(key, why)

    async def _read_once(self, deliver: Deliver, following: Callable[[], dict[str, int]]
                         ) -> tuple[list, dict[str, str]]:
        """One turn of the reader: refused keys looked at again if due, durability, then one XREAD.

        The XREAD's reply, and where it started in each key. A key that is
        not a stream fails the whole XREAD: it is found (TYPE) and refused,
        and the reply is empty.
        """
        await self._look_again(deliver, following())
        if time.monotonic() - self._durable_checked >= DURABLE_FOR:
            with contextlib.suppress(NotStored):
                await self._still_durable()  # said in the log when it changes
        starts = self._starts(following())
        try:
            return await self._redis.xread(starts, count=PAGE, block=BLOCK_MS) or [], starts
        except ResponseError as exc:
            if not _wrong_type(exc):
                raise
        for key in starts:
            if await self._redis.type(key) not in ("stream", "none"):
                self._refuse(key, "not a stream")
        return [], starts

    def _starts(self, lasts: dict[str, int]) -> dict[str, str]:
        """Where the next XREAD starts in each key it reads: the refused ones are left out."""
        starts = {} if INDEX in self.refused else {INDEX: self._index_last}
        for election_id in self._ids:
            if PREFIX + election_id not in self.refused:
                starts[PREFIX + election_id] = self._start(election_id, lasts)
        return starts

    def _start(self, election_id: str, lasts: dict[str, int]) -> str:
        """After the hub's last event of the election, and after what the reader let by: never twice."""
        return f"{max(lasts.get(election_id, 0), self._read.get(election_id, 0))}-0"

    def _take(self, key: str, start: str, entries: list[tuple[str, dict[str, str]]],
              deliver: Deliver) -> str | None:
        """Entries read after ``start``: index entries learnt, a hub's events delivered.

        Why the first entry that no hub wrote is not taken (None if all were).
        """
        if key == INDEX:
            for entry_id, fields in entries:
                self._index_last = entry_id
                self._learn(entry_id, fields)
            return None
        election_id = key[len(PREFIX):]
        good, why = hub_entries(election_id, _seq(start), entries)
        for seq, frame in good:
            self._read[election_id] = seq
            deliver(election_id, seq, frame)
        return why

    async def _look_again(self, deliver: Deliver, lasts: dict[str, int]) -> None:
        """Read each refused key whose wait is over: taken back if mended, else a longer wait."""
        now = time.monotonic()
        for key, refusal in list(self.refused.items()):
            if refusal.due > now:
                continue
            start = self._index_last if key == INDEX else self._start(key[len(PREFIX):], lasts)
            try:
                entries = await self._redis.xrange(key, f"({start}", "+", count=PAGE)
            except ResponseError as exc:
                if not _wrong_type(exc):
                    raise
                self._refuse(key, "not a stream")
                continue
            why = self._take(key, start, entries, deliver)
            if why is not None:
                self._refuse(key, why)  # the same as before: not said again, a longer wait
                continue
            del self.refused[key]
            log.warning("%s: %s holds only what hubs write again: read and stored as before",
                        self.url, key)

    async def token(self, make: Callable[[], str] = lambda: secrets.token_urlsafe(32)) -> str:
        """The publish token every hub on this Redis shares: made once (SET NX), then read."""
        try:
            await self._redis.set(TOKEN_KEY, make(), nx=True)
            token = await self._redis.get(TOKEN_KEY)
        except RedisError as exc:
            raise StoreError(f"{self.url}: cannot read the token ({_why(exc)})") from None
        if not isinstance(token, str) or not token.isascii() or not token.isprintable() or " " in token:
            raise StoreError(f"{self.url}: {TOKEN_KEY} is not a token (printable ASCII without spaces)")
        return token

    def close(self) -> None:
        """Nothing to let go of at once: `aclose` closes the connections."""

    async def aclose(self) -> None:
        await self._redis.aclose()


def _seq(entry_id: str) -> int:
    return int(entry_id.partition("-")[0])
