"""The edge's ASGI application: `/ws/{room_id}` and the background tasks behind it."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI, WebSocket

from common import closecodes, keys
from common.backoff import Backoff
from common.bus import Bus
from common.config import Settings, get_settings
from common.redis_client import UNAVAILABLE, connect
from common.tokens import TokenError, verify
from edge.fanout import Fanout
from edge.registry import Registry
from edge.session import EdgeContext, Session
from edge.users import UserCheck

log = logging.getLogger(__name__)


def new_edge_id(name: str) -> str:
    """Unique per process start, so players of a crashed edge are never taken for live."""
    return f"{name}-{os.getpid()}-{secrets.token_hex(3)}"


def bearer_token(ws: WebSocket) -> str | None:
    """The token from `Authorization: Bearer <token>`, else from `?token=`."""
    scheme, _, value = ws.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return ws.query_params.get("token") or None


async def announce(bus: Bus, edge_id: str, settings: Settings, fanout: Fanout) -> None:
    """Keep this edge in the live set; workers remove the players of an edge that stops.

    If Redis had this edge for dead (it could not announce for EDGE_TTL_MS) or does not know
    it at all (Redis restarted empty), the rooms may have dropped its players: every socket
    is joined again, keeping its colour and position, so the rooms show them once more.
    """
    backoff = Backoff(settings.redis_retry_max_s)
    registry = fanout.registry
    while True:
        delay = settings.edge_announce_ms / 1000
        # Only an edge that hears its rooms claims to be alive: otherwise the rooms' answer
        # to a rejoin would be lost, and its players are better removed than frozen.
        await fanout.ready.wait()
        try:
            _, revived = await bus.announce(keys.LIVE_EDGES, edge_id, settings.edge_ttl_ms)
            if revived and len(registry):
                log.warning("edge %s was unknown to Redis or taken for dead; joining its %d "
                            "sockets again", edge_id, len(registry))
                for session in registry.all():
                    await session.rejoin()
            backoff.reset()
        except UNAVAILABLE as exc:
            delay = backoff.next_delay()
            log.warning("edge %s could not announce itself (%s); retrying in %.1f s",
                        edge_id, exc, delay)
        await asyncio.sleep(delay)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    edge_id = new_edge_id(settings.edge_name)
    redis = connect(settings)
    registry = Registry()
    ctx = EdgeContext(settings, edge_id, Bus(redis, settings.stream_maxlen), registry)
    fanout = Fanout(redis, edge_id, registry, settings.redis_retry_max_s)
    users = UserCheck(settings.auth_base_url, settings.user_check_ttl_s)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(fanout.run(), name="fanout"),
                 asyncio.create_task(announce(ctx.bus, edge_id, settings, fanout),
                                     name="announce")]
        log.info("edge %s started", edge_id)
        yield
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        with suppress(*UNAVAILABLE):
            await redis.zrem(keys.LIVE_EDGES, edge_id)
        await redis.aclose()
        await users.close()
        log.info("edge %s stopped", edge_id)

    app = FastAPI(title="room edge", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.edge_id = edge_id

    @app.websocket("/ws/{room_id}")
    async def room_socket(ws: WebSocket, room_id: str) -> None:
        # Accept first: a close before accept reaches the client as an HTTP 403, not as
        # the 1008 close frame the protocol promises.
        await ws.accept()
        token = bearer_token(ws)
        if token is None:
            await ws.close(closecodes.POLICY_VIOLATION, "missing token")
            return
        try:
            claims = verify(settings, token)
        except TokenError as exc:
            await ws.close(closecodes.POLICY_VIOLATION, str(exc))
            return
        if not await users.exists(claims.user_id):
            await ws.close(closecodes.POLICY_VIOLATION, "user no longer exists")
            return
        if not keys.is_valid_room_id(room_id):
            await ws.close(closecodes.POLICY_VIOLATION,
                           "invalid room id: use 1-64 letters, digits, '_' or '-'")
            return
        if not fanout.ready.is_set():
            await ws.close(closecodes.TRY_AGAIN_LATER, "try again later")
            return

        session = Session(ws, ctx, room_id, claims.user_id, claims.username,
                          claims.expires_at)
        await session.run()

    return app
