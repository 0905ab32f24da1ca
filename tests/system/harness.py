"""Runs the real system under supervisord for end-to-end tests, and real clients against it.

The repository's own supervisord.conf is used, with three things changed so tests never
touch a running development system: the run directory, the edges' port and (through the
environment) every service address.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis
import redis.asyncio as aioredis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from common import keys

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# Its own Redis database: the in-process worker tests flush theirs while this one runs.
SYSTEM_REDIS_URL = os.environ.get("TEST_SYSTEM_REDIS_URL", "redis://127.0.0.1:6379/14")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class System:
    run_dir: Path
    env: dict[str, str]
    edge_port: int = field(default_factory=free_port)
    auth_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def config(self) -> Path:
        return self.run_dir / "supervisord.conf"

    @property
    def auth_url(self) -> str:
        return f"http://127.0.0.1:{self.auth_port}"

    def ws_url(self, room_id: str) -> str:
        return f"ws://127.0.0.1:{self.edge_port}/ws/{room_id}"

    def write_config(self) -> None:
        text = (ROOT / "supervisord.conf").read_text()
        text = text.replace("%(here)s/run", str(self.run_dir))
        text = text.replace("%(here)s", str(ROOT))
        text = text.replace("tcp://127.0.0.1:8000", f"tcp://127.0.0.1:{self.edge_port}")
        text = text.replace(str(ROOT / ".venv" / "bin"), str(BIN))
        self.config.write_text(text)

    def start(self, timeout_s: float = 30) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.write_config()
        env = {**os.environ, **self.env, "AUTH_PORT": str(self.auth_port),
               "EDGE_PORT": str(self.edge_port)}
        self.process = subprocess.Popen(
            [str(BIN / "supervisord"), "-n", "-c", str(self.config)], cwd=ROOT, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        self.wait_ready(timeout_s)

    def wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        client = redis.Redis.from_url(self.env["REDIS_URL"], decode_responses=True)
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"supervisord exited: {self.logs()}")
            if self._auth_up() and self._port_open(self.edge_port):
                now_ms = int(time.time() * 1000)
                workers = client.zcount("workers:live", now_ms, "+inf")
                edges = client.zcount("edges:live", now_ms, "+inf")
                if workers >= 2 and edges >= 2:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"system not ready in {timeout_s} s: {self.logs()}")

    def _auth_up(self) -> bool:
        try:
            return httpx.get(f"{self.auth_url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    @staticmethod
    def _port_open(port: int) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            return False

    def ctl(self, *args: str) -> str:
        result = subprocess.run(
            [str(BIN / "supervisorctl"), "-c", str(self.config), *args],
            capture_output=True, text=True, timeout=60, check=False,
        )
        return result.stdout + result.stderr

    async def actl(self, *args: str) -> str:
        """supervisorctl from async code, without blocking the clients' event loop."""
        return await asyncio.to_thread(self.ctl, *args)

    async def await_ready(self, timeout_s: float = 30) -> None:
        await asyncio.to_thread(self.wait_ready, timeout_s)

    def supervisord_log(self) -> str:
        return (self.run_dir / "supervisord.log").read_text(errors="replace")

    def logs(self) -> str:
        parts = []
        for path in sorted(self.run_dir.glob("*.log")):
            lines = path.read_text(errors="replace").splitlines()[-15:]
            parts.append(f"--- {path.name}\n" + "\n".join(lines))
        return "\n".join(parts)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


_names = itertools.count(1)


def login(system: System, prefix: str = "player") -> tuple[int, str]:
    """Register a fresh user and log in; returns (user id, token)."""
    name = f"{prefix}{next(_names)}_{secrets.token_hex(2)}"
    body = {"username": name, "password": "correct horse"}
    created = httpx.post(f"{system.auth_url}/register", json=body, timeout=10)
    assert created.status_code == 201, created.text
    token = httpx.post(f"{system.auth_url}/login", json=body, timeout=10)
    assert token.status_code == 200, token.text
    return int(created.json()["id"]), str(token.json()["access_token"])


class Client:
    """A real WebSocket client that records every message and how its socket ended."""

    def __init__(self, ws: ClientConnection, player_id: int) -> None:
        self.ws = ws
        self.player_id = player_id
        self.messages: list[dict[str, Any]] = []
        # Wall-clock arrival time of each message, in the same order.
        self.arrivals: list[float] = []
        self.close_code: int | None = None
        self.close_reason = ""
        self._arrived = asyncio.Event()
        self._reader = asyncio.create_task(self._read())
        self._pinger: asyncio.Task[None] | None = None

    @classmethod
    async def join(cls, system: System, room_id: str, player_id: int, token: str,
                   *, keepalive: bool = True) -> Client:
        ws = await connect(system.ws_url(room_id),
                           additional_headers={"Authorization": f"Bearer {token}"})
        client = cls(ws, player_id)
        if keepalive:  # the suite shortens the silence timeout; pings keep us in
            client._pinger = asyncio.create_task(client._ping_every(1.0))
        await client.wait_for(lambda m: m["type"] == "state" and client.sees(m, player_id))
        return client

    @staticmethod
    def sees(state: dict[str, Any], player_id: int) -> bool:
        return any(p["player_id"] == player_id for p in state["players"])

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                self.messages.append(json.loads(raw))
                self.arrivals.append(time.time())
                self._arrived.set()
        except ConnectionClosed:
            pass
        finally:
            if self.ws.close_code is not None:
                self.close_code = self.ws.close_code
                self.close_reason = self.ws.close_reason or ""
            self._arrived.set()

    async def _ping_every(self, interval_s: float) -> None:
        while True:
            await asyncio.sleep(interval_s)
            try:
                await self.send({"type": "ping"})
            except ConnectionClosed:
                return

    async def send(self, message: dict[str, Any] | str) -> None:
        await self.ws.send(message if isinstance(message, str) else json.dumps(message))

    async def wait_for(self, predicate: Any, timeout_s: float = 5.0,
                       start: int = 0) -> dict[str, Any]:
        """The first message from index `start` on, received or to come, that satisfies
        `predicate`."""
        deadline = time.monotonic() + timeout_s
        while True:
            for message in self.messages[start:]:
                if predicate(message):
                    return message
            if self._reader.done():
                raise AssertionError(f"socket closed ({self.close_code}) while waiting; "
                                     f"got {self.messages[-5:]}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no matching message in {timeout_s} s; last: "
                                     f"{self.messages[-5:]}")
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), remaining)

    @property
    def closed(self) -> bool:
        return self._reader.done()

    def last_state(self) -> dict[str, Any]:
        return [m for m in self.messages if m["type"] == "state"][-1]

    async def wait_closed(self, timeout_s: float = 10.0) -> int | None:
        await asyncio.wait_for(asyncio.shield(self._reader), timeout_s)
        return self.close_code

    async def close(self) -> None:
        if self._pinger is not None:
            self._pinger.cancel()
        await self.ws.close()
        await asyncio.gather(self._reader, return_exceptions=True)


async def close_code_for(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    """Open a socket that the edge should refuse; return the close frame it got."""
    async with connect(url, additional_headers=headers or {}) as ws:
        with contextlib.suppress(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)
        return ws.close_code or 0, ws.close_reason or ""


def position(message: dict[str, Any], player_id: int) -> tuple[float, float] | None:
    """Where a `state` message puts the player, or None."""
    if message["type"] != "state":
        return None
    for player in message["players"]:
        if player["player_id"] == player_id:
            return player["x"], player["y"]
    return None


async def edge_of(room_id: str, player_id: int, redis_url: str = SYSTEM_REDIS_URL) -> str:
    """The edge a player's socket is on, as the room's owner recorded it."""
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    roster = await client.hget(keys.roster(room_id), str(player_id))
    await client.aclose()
    assert roster is not None
    return str(json.loads(roster)["edge"])


async def clients_on_two_edges(system: System, room_id: str, redis_url: str = SYSTEM_REDIS_URL
                               ) -> tuple[Client, Client, list[Client]]:
    """Two clients in one room on different edges, and the extras it took to get there.

    The kernel picks the edge for each connection on the shared socket, so this connects
    until one lands on another edge than the first.
    """
    first_id, first_token = login(system)
    first = await Client.join(system, room_id, first_id, first_token)
    first_edge = await edge_of(room_id, first_id, redis_url)
    spare: list[Client] = []
    for _ in range(30):
        player_id, token = login(system)
        client = await Client.join(system, room_id, player_id, token)
        if await edge_of(room_id, player_id, redis_url) != first_edge:
            return first, client, spare
        spare.append(client)
    raise AssertionError("30 connections in a row landed on one edge")
