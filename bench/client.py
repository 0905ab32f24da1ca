"""One benchmark client: a picows WebSocket listener that moves, pings and measures.

picows calls on_ws_frame synchronously for every frame, with no task or queue per
socket, which is what lets one generator process keep up with tens of thousands of
messages a second. States are recognised by their first bytes (the server writes them with
orjson, "type" first) so the common case skips one full decode; anything else is decoded.
"""

from __future__ import annotations

import asyncio
import time
from array import array
from collections import Counter, deque
from dataclasses import dataclass, field

import orjson
from picows import WSCloseCode, WSFrame, WSListener, WSMsgType, WSTransport

from bench.latency import Receiver

STATE_PREFIX = b'{"type":"state"'
MOVE_TEMPLATE = b'{"type":"move","x":%d,"y":0}'
PING_TEXT = b'{"type":"ping"}'
# Kept in full only this many times; beyond that they are counted.
MAX_KEPT_ERRORS = 20


@dataclass
class Tally:
    """What all clients of one generator process received."""

    messages: int = 0
    states: int = 0
    # Every other kind of message; states are counted apart, on the hot path.
    by_type: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    unexpected_closes: Counter[str] = field(default_factory=Counter)
    # Monotonic time of the first close the benchmark did not ask for.
    first_unexpected_close: float | None = None
    ping_rtt_ms: array[float] = field(default_factory=lambda: array("f"))

    def error(self, text: str) -> None:
        self.by_type["error"] += 1
        if len(self.errors) < MAX_KEPT_ERRORS:
            self.errors.append(text)


class BenchClient(WSListener):
    def __init__(self, player_id: int, receiver: Receiver, tally: Tally) -> None:
        super().__init__()
        self.player_id = player_id
        self.receiver = receiver
        self.tally = tally
        self.transport: WSTransport | None = None
        self.alive = False
        self.closing = False
        self.joined: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        # A socket that closes before its join is a failure the connect step counts; the
        # future's own exception need not be logged again when nobody awaited it.
        self.joined.add_done_callback(lambda done: done.cancelled() or done.exception())
        # Pongs carry no id but come back in order: (send time, where to put the RTT).
        self._pings: deque[tuple[float, array[float]]] = deque()

    # picows callbacks -------------------------------------------------------------------

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport
        self.alive = True

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        kind = frame.msg_type
        if kind == WSMsgType.TEXT:
            now = time.monotonic()
            payload = frame.get_payload_as_bytes()
            tally = self.tally
            tally.messages += 1
            if payload.startswith(STATE_PREFIX):  # nearly every message: kept short
                tally.states += 1
                pairs = self.receiver.on_state(payload, None, now)
                if not self.joined.done():
                    self._check_joined(pairs, now)
            else:
                self._other(payload, now)
        elif kind == WSMsgType.CLOSE:
            code = frame.get_close_code()
            if not self.closing:
                # The project's own codes (4000-4008) may come as plain ints.
                self._lost(f"{getattr(code, 'value', code)} {frame.get_close_reason()}")
            transport.send_close(code)
            transport.disconnect()

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        if self.alive and not self.closing:
            self._lost("dropped without a close frame")
        self.alive = False
        self.receiver.alive = False
        if not self.joined.done():
            self.joined.set_exception(ConnectionError("closed before joining"))

    # received messages ------------------------------------------------------------------

    def _check_joined(self, pairs: list[tuple[int, int]], now: float) -> None:
        if any(slot == self.receiver.slot for slot, _ in pairs):
            self.joined.set_result(now)

    def _other(self, payload: bytes, now: float) -> None:
        message = orjson.loads(payload)
        kind = str(message.get("type"))
        if kind == "state":
            self.tally.states += 1
            pairs = self.receiver.on_state(payload, message, now)
            if not self.joined.done():
                self._check_joined(pairs, now)
            return
        if kind == "pong":
            if self._pings:
                sent, sink = self._pings.popleft()
                sink.append((now - sent) * 1000.0)
        elif kind == "error":
            self.tally.error(str(message.get("reason")))
            return
        self.tally.by_type[kind] += 1

    def _lost(self, why: str) -> None:
        self.alive = False
        self.receiver.alive = False
        tally = self.tally
        tally.unexpected_closes[why] += 1
        if tally.first_unexpected_close is None:
            tally.first_unexpected_close = time.monotonic()

    # sending ----------------------------------------------------------------------------

    def move(self) -> bool:
        """Send the next move; False if the socket is gone."""
        if not self.alive or self.transport is None:
            return False
        receiver = self.receiver
        sequence = receiver.room.next_sequence(receiver.slot, time.monotonic())
        self.transport.send(WSMsgType.TEXT, MOVE_TEMPLATE % sequence)
        return True

    def ping(self, sink: array[float] | None = None) -> bool:
        if not self.alive or self.transport is None:
            return False
        self._pings.append((time.monotonic(), self.tally.ping_rtt_ms if sink is None else sink))
        self.transport.send(WSMsgType.TEXT, PING_TEXT)
        return True

    def close(self) -> None:
        self.closing = True
        if self.transport is not None and self.alive:
            self.transport.send_close(WSCloseCode.OK)
            self.transport.disconnect()
