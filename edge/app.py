"""The edge's ASGI application: `/ws/{room_id}` and the background tasks behind it."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI, WebSocket
from fastapi.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from common import closecodes, keys, metrics
from common.backoff import Backoff
from common.bus import Bus
from common.config import Settings, get_settings
from common.redis_client import UNAVAILABLE, connect
from common.serving import metrics_endpoint
from common.tokens import Claims, TokenError, verify
from edge.fanout import Fanout
from edge.registry import Registry
from edge.session import EdgeContext, Session
from edge.users import UserCheck

log = logging.getLogger(__name__)


INVALID_ROOM = "invalid room id: use 1-64 letters, digits, '_' or '-'"


class Refused(Exception):
    """A socket that may not join: closed with this code and reason."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


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


def create_app(settings: Settings | None = None) -> SocketsFirst:
    settings = settings or get_settings()
    edge_id = new_edge_id(settings.edge_name)
    redis = connect(settings)
    presence_redis = connect(settings, single_connection=True)
    registry = Registry()
    ctx = EdgeContext(settings, edge_id, Bus(redis, settings.stream_hard_maxlen), registry)
    fanout = Fanout(redis, edge_id, registry, settings.redis_retry_max_s)
    users = UserCheck(settings.auth_base_url, settings.user_check_ttl_s)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # The announcements get a connection of their own: an edge busy with frames must
        # never look dead because its pool is momentarily taken.
        presence = Bus(presence_redis, settings.stream_hard_maxlen)
        tasks = [asyncio.create_task(fanout.run(), name="fanout"),
                 asyncio.create_task(announce(presence, edge_id, settings, fanout),
                                     name="announce")]
        log.info("edge %s started", edge_id)
        yield
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        with suppress(*UNAVAILABLE):
            await redis.zrem(keys.LIVE_EDGES, edge_id)
        await redis.aclose()
        await presence_redis.aclose()
        await users.close()
        log.info("edge %s stopped", edge_id)

    app = FastAPI(title="room edge", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.edge_id = edge_id

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        """The process is up (answering at all)."""
        return {"status": "ok", "edge": edge_id}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        """Ready for sockets: Redis answers and this edge hears its rooms."""
        problems = []
        try:
            await redis.ping()
        except UNAVAILABLE as exc:
            problems.append(f"redis unreachable: {exc}")
        if not fanout.ready.is_set():
            problems.append("not subscribed to the rooms' messages")
        body = {"status": "ready" if not problems else "not ready", "edge": edge_id,
                "sockets": len(registry), "problems": problems}
        return JSONResponse(body, status_code=503 if problems else 200)

    app.add_api_route("/metrics", metrics_endpoint, include_in_schema=False)

    async def admit(ws: WebSocket, room_id: str) -> Claims:
        """The socket's claims if it may join; Refused with a close code if not."""
        token = bearer_token(ws)
        if token is None:
            raise Refused(closecodes.POLICY_VIOLATION, "missing token")
        try:
            claims = verify(settings, token)
        except TokenError as exc:
            raise Refused(closecodes.POLICY_VIOLATION, str(exc)) from None
        if not await users.exists(claims.user_id, token):
            raise Refused(closecodes.POLICY_VIOLATION, "user no longer exists")
        if not keys.is_valid_room_id(room_id):
            raise Refused(closecodes.POLICY_VIOLATION, INVALID_ROOM)
        if not fanout.ready.is_set():
            raise Refused(closecodes.TRY_AGAIN_LATER, "try again later")
        return claims

    async def room_socket(ws: WebSocket) -> None:
        # Accept first: a close before accept reaches the client as an HTTP 403, not as
        # the 1008 close frame the protocol promises.
        await ws.accept()
        room_id = room_of(ws.scope["path"])
        if room_id is None:
            # /ws, /ws/, /ws/a/b ...: still a real close frame, not an HTTP 403.
            metrics.CLOSES.labels(str(closecodes.POLICY_VIOLATION)).inc()
            await ws.close(closecodes.POLICY_VIOLATION, INVALID_ROOM)
            return
        try:
            claims = await admit(ws, room_id)
        except Refused as refused:
            metrics.CLOSES.labels(str(refused.code)).inc()
            await ws.close(refused.code, refused.reason)
            return

        session = Session(ws, ctx, room_id, claims.user_id, claims.username,
                          claims.expires_at)
        await session.run()

    return SocketsFirst(app, room_socket)


def room_of(path: str) -> str | None:
    """The room of `/ws/{room_id}` (one non-empty path segment), or None."""
    prefix, _, room_id = path.partition("/ws/")
    if prefix or not room_id or "/" in room_id:
        return None
    return room_id


class SocketsFirst:
    """The edge's ASGI entry point: WebSocket connections go straight to the room handler.

    Through the framework's middleware stack, every frame sent to a client would pass four
    wrapping layers; on an edge that sends tens of thousands a second that was a tenth of
    its CPU. HTTP requests and the lifespan still go to the FastAPI app.
    """

    def __init__(self, http_app: FastAPI, handler: Callable[[WebSocket], Awaitable[None]]
                 ) -> None:
        self.http_app = http_app
        self.handler = handler
        self.state = http_app.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self.handler(WebSocket(scope, receive, send))
        else:
            await self.http_app(scope, receive, send)
