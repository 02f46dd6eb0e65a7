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
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import secrets
from typing import Callable
from urllib.parse import urlsplit

import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError, ResponseError

from feeds.hub.store import Appended, Deliver, Loaded, NotStored, Reachable, Store, StoreError
from tally.reducer import Count, RuleError
from tally.schema import EventError, parse_event

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


class RedisStore(Store):
    """Elections in the Redis at ``url``, shared with every hub that uses it."""

    shared = True

    def __init__(self, client: redis.Redis, url: str) -> None:
        self._redis = client
        self.db = client.connection_pool.connection_kwargs.get("db", 0)
        self.url = shown(url)
        self.where = f"in {self.url}"
        self.repaired: list[str] = []  # Redis replays its own log: nothing here is ever torn
        self._append = client.register_script(APPEND)
        self._loaded: list[Loaded] = []
        self._index_last = "0-0"
        self._ids: set[str] = set()

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
                # One retry, at once: enough for a pooled connection that died
                # with a Redis restart. More, with backoff, would hold every
                # event a publisher has in flight while Redis is down (its
                # close waits behind them); the publisher retries by itself,
                # and a script run twice is answered "same" the second time.
                retry=Retry(NoBackoff(), 1))
        except ValueError as exc:
            raise StoreError(f"--store {shown(url)}: {exc} (give redis://HOST:PORT/DB)") from None
        store = cls(client, url)
        try:
            await client.ping()
            await store._check_durable(durability, warn)
            await store._load()
        except RedisError as exc:
            await client.aclose()
            raise StoreError(f"{store.url}: cannot use Redis ({_why(exc)})") from None
        except BaseException:
            await client.aclose()
            raise
        return store

    async def _check_durable(self, durability: str, warn: Callable[[str], None] | None) -> None:
        try:
            config = await self._redis.config_get("append*")
        except ResponseError as exc:  # CONFIG renamed or refused, as some hosted Redis do
            config = {"error": _why(exc)}
        durable = config.get("appendonly") == "yes" and config.get("appendfsync") == "always"
        if durable:
            return
        found = (f"CONFIG GET failed: {config['error']}" if "error" in config else
                 f"appendonly {config.get('appendonly')}, appendfsync {config.get('appendfsync')}")
        if durability != RELAXED:
            raise StoreError(f"{self.url}: Redis does not store each event durably before it "
                             f"answers ({found}); run it with --appendonly yes --appendfsync always, "
                             f"or accept less with --store-durability {RELAXED}")
        if warn is not None:
            warn(f"WARNING: {self.url} is not known to fsync each event ({found}): "
                 "a Redis crash may lose events that were acknowledged")

    async def _load(self) -> None:
        for entry_id, fields in await self._entries(INDEX, "-"):
            self._index_last = entry_id
            election_id = fields.get("id")
            if election_id is None or election_id in self._ids:  # not a hub's entry, or known
                continue
            self._ids.add(election_id)
            count = Count()
            frames = [frame for _, frame in await self._events(election_id, 0)]
            try:
                for frame in frames:
                    count.apply(parse_event(frame))
            except (EventError, RuleError) as exc:
                raise StoreError(f"{self.url}: {PREFIX}{election_id} seq {count.last_seq + 1}: "
                                 f"{exc}") from None
            if frames:
                self._loaded.append(Loaded(count, frames))

    async def _entries(self, key: str, start: str) -> list[tuple[str, dict[str, str]]]:
        """Every entry of a stream from ID ``start`` on, a page at a time."""
        entries: list[tuple[str, dict[str, str]]] = []
        while True:
            page = await self._redis.xrange(key, start, "+", count=PAGE)
            entries.extend(page)
            if len(page) < PAGE:
                return entries
            start = "(" + page[-1][0]

    async def _events(self, election_id: str, last: int) -> list[tuple[int, str]]:
        entries = await self._entries(PREFIX + election_id, f"{last + 1}-0")
        return [(_seq(entry_id), fields[FIELD]) for entry_id, fields in entries]

    def loaded(self) -> list[Loaded]:
        return self._loaded

    async def append(self, election_id: str, seq: int, frame: str, hub_last: int) -> Appended:
        try:
            answer, last = await self._append(keys=[PREFIX + election_id, INDEX],
                                              args=[seq, frame, hub_last, election_id])
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
            return await self._events(election_id, last)
        except RedisError as exc:
            raise self._not_stored(exc) from None

    def _not_stored(self, exc: RedisError) -> NotStored:
        return NotStored(f"Redis unreachable ({_why(exc)})", self.url, "redis")

    async def follow(self, deliver: Deliver, following: Callable[[], dict[str, int]],
                     reachable: Reachable) -> None:
        """One blocking XREAD at a time, over the index and every election, from what the hub has.

        The read starts from the hub's own last seq of each election, not
        from what this reader last saw: events the hub counted itself (its
        publishers') are then not read again. Redis being down is said once,
        and again when it is back; the reader keeps trying meanwhile.
        """
        pause = 0.1
        down = False
        while True:
            lasts = following()
            streams = {INDEX: self._index_last}
            streams.update({PREFIX + i: f"{lasts.get(i, 0)}-0" for i in self._ids})
            try:
                reply = await self._redis.xread(streams, count=PAGE, block=BLOCK_MS)
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
            for key, entries in reply or []:
                self._read(key, entries, deliver)

    def _read(self, key: str, entries: list[tuple[str, dict[str, str]]], deliver: Deliver) -> None:
        if key == INDEX:
            for entry_id, fields in entries:
                self._index_last = entry_id
                if "id" in fields:
                    self._ids.add(fields["id"])
            return
        election_id = key[len(PREFIX):]
        for entry_id, fields in entries:
            # An entry not written by a hub (no field e) cannot be counted: the
            # hub says so for that election and takes nothing more there.
            deliver(election_id, _seq(entry_id), fields.get(FIELD, ""))

    async def token(self, make: Callable[[], str] = lambda: secrets.token_urlsafe(32)) -> str:
        """The publish token every hub on this Redis shares: made once (SET NX), then read."""
        try:
            await self._redis.set(TOKEN_KEY, make(), nx=True)
            return await self._redis.get(TOKEN_KEY)
        except RedisError as exc:
            raise StoreError(f"{self.url}: cannot read the token ({_why(exc)})") from None

    def close(self) -> None:
        """Nothing to let go of at once: `aclose` closes the connections."""

    async def aclose(self) -> None:
        await self._redis.aclose()


def _seq(entry_id: str) -> int:
    return int(entry_id.partition("-")[0])

