"""Fan-out: one Pub/Sub subscription per edge carries every message for its sockets.

Workers publish to this edge's own channel only what concerns rooms where it holds sockets,
so the edge needs one blocking read however many rooms it serves. A message's text arrives
encoded once and is handed unchanged to every socket of the room.
"""

from __future__ import annotations

import asyncio
import logging

import redis.asyncio as redis

from common import envelope, keys, metrics
from common.backoff import Backoff
from common.redis_client import UNAVAILABLE
from edge.registry import Registry

log = logging.getLogger(__name__)


class Fanout:
    def __init__(self, client: redis.Redis, edge_id: str, registry: Registry,
                 retry_max_s: float) -> None:
        self.redis = client
        self.channel = keys.edge_channel(edge_id)
        self.registry = registry
        self.retry_max_s = retry_max_s
        # True while subscribed: a socket opened when it is False could not hear its room.
        self.ready = asyncio.Event()

    async def run(self) -> None:
        backoff = Backoff(self.retry_max_s)
        while True:
            try:
                async with self.redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(self.channel)
                    self.ready.set()
                    backoff.reset()
                    log.info("subscribed to %s", self.channel)
                    await self._listen(pubsub)
            except UNAVAILABLE as exc:
                self.ready.clear()
                delay = backoff.next_delay()
                log.warning("lost the subscription to %s (%s); retrying in %.1f s",
                            self.channel, exc, delay)
                await asyncio.sleep(delay)

    async def _listen(self, pubsub: redis.client.PubSub) -> None:
        while True:
            message = await pubsub.get_message(timeout=None)
            if message is not None and message["type"] == "message":
                self.deliver(message["data"])

    def deliver(self, data: str) -> None:
        try:
            env = envelope.decode(data)
        except ValueError as exc:
            log.error("dropped a malformed envelope on %s: %s", self.channel, exc)
            return

        sockets = self.registry.in_room(env.room_id)
        for text in env.broadcasts:
            for socket in sockets:
                socket.send(text)
        if sockets and env.broadcasts:
            # Counted once per envelope, not per socket: this is the hottest loop here.
            metrics.FRAMES_OUT.inc(len(sockets) * len(env.broadcasts))
            metrics.BYTES_OUT.inc(len(sockets) * sum(len(t) for t in env.broadcasts))
        for order in env.closes:
            target = self.registry.find(env.room_id, order.conn)
            if target is not None:
                target.close_soon(order.code, order.reason)
