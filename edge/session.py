"""One client socket on an edge: from the token check to the leave.

The edge keeps nothing about the room: it pushes the socket's frames onto the room's stream
and writes out what the room's owner sends back. Outgoing text waits in a small queue per
socket, so a client that reads slowly is closed instead of holding up its room.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import deque
from dataclasses import dataclass

from starlette.websockets import WebSocket, WebSocketDisconnect

from common import closecodes, events, metrics
from common.bus import Bus
from common.config import Settings
from common.protocol import PONG_TEXT, Move, ProtocolError, error_text, parse_frame
from common.redis_client import UNAVAILABLE
from edge.registry import Registry
from edge.throttle import FrameThrottle, Verdict

log = logging.getLogger(__name__)

# An invalid frame still shows the client is alive; it is recorded at most this often.
INVALID_FRAME_HEARTBEAT_S = 1.0

MOVES_IN = metrics.FRAMES_IN.labels("move")
PINGS_IN = metrics.FRAMES_IN.labels("ping")
INVALID_IN = metrics.FRAMES_IN.labels("invalid")
DROPPED_IN = metrics.FRAMES_IN.labels("dropped")


@dataclass(frozen=True, slots=True)
class EdgeContext:
    settings: Settings
    edge_id: str
    bus: Bus
    registry: Registry


class Session:
    def __init__(self, ws: WebSocket, ctx: EdgeContext, room_id: str, player_id: int,
                 username: str, expires_at: float) -> None:
        self.ws = ws
        self.ctx = ctx
        self.room_id = room_id
        self.player_id = player_id
        self.username = username
        self.conn = secrets.token_hex(6)
        self._outbox: deque[str] = deque()
        self._wakeup = asyncio.Event()
        self._close: tuple[int, str] | None = None
        self._last_push = 0.0
        # Room messages are held back until this socket's own join arrives, so that the
        # client never sees a state that does not list it yet.
        self._joined = False
        self._join_prefix = f'{{"type":"join","player_id":{player_id},'

        # Socket-local facts, kept only to join again if Redis loses this socket's player.
        self.color = random_color()
        self.x: float = 0
        self.y: float = 0
        settings = ctx.settings
        self._throttle = FrameThrottle(settings.frame_rate_per_s, settings.frame_burst,
                                       time.monotonic())
        self._last_throttle_notice = 0.0
        self.expires_at = expires_at

    # Called by the fan-out, synchronously: never waits on this client.
    def send(self, text: str) -> None:
        if not self._joined:
            if not text.startswith(self._join_prefix):
                return
            self._joined = True
        self._queue(text)

    def _queue(self, text: str) -> None:
        if self._close is not None:
            return
        if len(self._outbox) >= self.ctx.settings.send_queue_max:
            self._outbox.clear()
            metrics.SEND_QUEUE_DROPS.inc()
            self.close_soon(closecodes.TOO_SLOW, "too slow: send queue overflowed")
            log.warning("room %s player %d conn %s: send queue full (%d), closing",
                        self.room_id, self.player_id, self.conn,
                        self.ctx.settings.send_queue_max)
            return
        self._outbox.append(text)
        self._wakeup.set()

    def close_soon(self, code: int, reason: str) -> None:
        """Close after what is already queued. A leave is pushed for the socket however it
        ends: if the room removed the player already, the rules ignore it."""
        if self._close is None:
            self._close = (code, reason)
            self._wakeup.set()
            metrics.CLOSES.labels(str(code)).inc()

    async def run(self) -> None:
        """Join the room, relay frames until the socket ends, then leave the room."""
        fields = events.fields_join(self.player_id, self.conn, self.ctx.edge_id,
                                    self.username, self.color,
                                    self.ctx.settings.room_max_players)
        self.ctx.registry.add(self.room_id, self)
        metrics.SOCKETS.inc()
        writer = asyncio.create_task(self._write(), name=f"writer-{self.conn}")
        # A socket lives no longer than its token: then it closes, and the client must log
        # in again (see README, "Tokens").
        expiry = asyncio.get_running_loop().call_later(
            max(0.0, self.expires_at - time.time()), self.close_soon,
            closecodes.POLICY_VIOLATION, "token expired")
        leave_reason = "closed"
        try:
            entry_id = await self.ctx.bus.push_join(self.room_id, fields)
            self._last_push = time.monotonic()
            log.info("room %s player %d conn %s joined on edge %s as entry %s",
                     self.room_id, self.player_id, self.conn, self.ctx.edge_id, entry_id)
            leave_reason = await self._read()
        except UNAVAILABLE as exc:
            log.warning("room %s player %d conn %s: redis unavailable (%s); closing with %d",
                        self.room_id, self.player_id, self.conn, exc,
                        closecodes.TRY_AGAIN_LATER)
            self.close_soon(closecodes.TRY_AGAIN_LATER, "try again later")
            leave_reason = "redis unavailable"
        finally:
            expiry.cancel()
            self.ctx.registry.remove(self.room_id, self)
            metrics.SOCKETS.dec()
            await self._finish_writer(writer)
        await self._push_leave(leave_reason)

    async def _read(self) -> str:
        """Relay frames until the client goes; returns why it went."""
        while self._close is None:
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                return f"client closed ({message.get('code', 1005)})"
            if not self._admit():
                DROPPED_IN.inc()
                continue
            text = message.get("text")
            if text is None:
                await self._invalid("binary frames are not supported; send JSON text frames")
                continue
            try:
                frame = parse_frame(text)
            except ProtocolError as exc:
                await self._invalid(str(exc))
                continue
            if isinstance(frame, Move):
                MOVES_IN.inc()
                self.x, self.y = frame.x, frame.y
                fields = events.fields_move(self.player_id, self.conn, self.ctx.edge_id,
                                            frame.x, frame.y)
            else:
                PINGS_IN.inc()
                self._queue(PONG_TEXT)
                fields = events.fields_ping(self.player_id, self.conn, self.ctx.edge_id)
            await self._push(fields)
        return "closed by server"

    def _admit(self) -> bool:
        """Apply the frame rate limit; False if this frame is dropped."""
        now = time.monotonic()
        verdict = self._throttle.check(now)
        if verdict is Verdict.ACCEPT:
            return True
        if verdict is Verdict.DISCONNECT:
            log.warning("room %s player %d conn %s: flooding past %.0f frames/s; closing "
                        "with %d", self.room_id, self.player_id, self.conn,
                        self._throttle.rate_per_s, closecodes.TOO_MANY_FRAMES)
            self.close_soon(closecodes.TOO_MANY_FRAMES, "too many frames")
        elif now - self._last_throttle_notice >= 1.0:
            self._last_throttle_notice = now
            self._queue(error_text(f"rate limit: at most {self._throttle.rate_per_s:g} frames "
                                 "a second; frames over it are dropped"))
        return False

    async def _invalid(self, reason: str) -> None:
        INVALID_IN.inc()
        self._queue(error_text(reason))
        if time.monotonic() - self._last_push >= INVALID_FRAME_HEARTBEAT_S:
            await self._push(events.fields_ping(self.player_id, self.conn, self.ctx.edge_id))

    async def _push(self, fields: dict[str, str]) -> None:
        self._last_push = time.monotonic()
        await self.ctx.bus.push(self.room_id, fields)

    async def rejoin(self) -> None:
        """Join again with this socket's colour and last position (see edge.app.announce)."""
        if self._close is not None:
            return
        fields = events.fields_rejoin(self.player_id, self.conn, self.ctx.edge_id,
                                      self.username, self.color, self.x, self.y,
                                      self.ctx.settings.room_max_players)
        entry_id = await self.ctx.bus.push_join(self.room_id, fields)
        log.info("room %s player %d conn %s joined again as entry %s", self.room_id,
                 self.player_id, self.conn, entry_id)

    async def _push_leave(self, reason: str) -> None:
        fields = events.fields_leave(self.player_id, self.conn, self.ctx.edge_id, reason)
        try:
            entry_id = await self.ctx.bus.push(self.room_id, fields)
        except UNAVAILABLE as exc:
            # The edge-liveness sweep cannot help (this edge is alive); the heartbeat
            # timeout removes the player once Redis is back.
            log.error("room %s player %d conn %s: leave not recorded (%s); the heartbeat "
                      "timeout will remove the player", self.room_id, self.player_id,
                      self.conn, exc)
            return
        log.info("room %s player %d conn %s left (%s) as entry %s", self.room_id,
                 self.player_id, self.conn, reason, entry_id)

    async def _write(self) -> None:
        try:
            while True:
                await self._wakeup.wait()
                self._wakeup.clear()
                while self._outbox:
                    await self.ws.send_text(self._outbox.popleft())
                if self._close is not None:
                    code, reason = self._close
                    await self.ws.close(code=code, reason=reason)
                    return
        except (WebSocketDisconnect, RuntimeError, OSError):
            return  # the client is gone; the reader sees the disconnect and cleans up

    async def _finish_writer(self, writer: asyncio.Task[None]) -> None:
        if self._close is not None:
            # Give the writer a moment to flush and send the close frame.
            await asyncio.wait({writer}, timeout=2.0)
        writer.cancel()
        await asyncio.gather(writer, return_exceptions=True)


def random_color() -> str:
    """A bright colour, chosen here so that replaying the join gives the same one."""
    hue = secrets.randbelow(360)
    return _hsl_hex(hue, 0.7, 0.55)


def _hsl_hex(hue: int, saturation: float, lightness: float) -> str:
    chroma = (1 - abs(2 * lightness - 1)) * saturation
    x = chroma * (1 - abs((hue / 60) % 2 - 1))
    m = lightness - chroma / 2
    sector = [(chroma, x, 0.0), (x, chroma, 0.0), (0.0, chroma, x), (0.0, x, chroma),
              (x, 0.0, chroma), (chroma, 0.0, x)][hue // 60]
    return "#" + "".join(f"{round((c + m) * 255):02x}" for c in sector)
