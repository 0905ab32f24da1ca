"""A room worker process: the actor, its ownership rounds and its liveness sweeps."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import signal
import time

from common import keys
from common.config import Settings
from common.redis_client import UNAVAILABLE, connect
from room_worker.actor import Actor
from room_worker.ownership import Ownership
from room_worker.sweeper import Sweeper

log = logging.getLogger(__name__)


def new_worker_id(name: str) -> str:
    """Unique per process start: a restarted worker is a new consumer with new leases."""
    return f"{name}-{os.getpid()}-{secrets.token_hex(3)}"


class Worker:
    def __init__(self, settings: Settings, worker_id: str | None = None) -> None:
        self.settings = settings
        self.worker_id = worker_id or new_worker_id(settings.worker_name)
        self.redis = connect(settings)
        self.reader = connect(settings, single_connection=True)
        self.actor = Actor(settings, self.worker_id, self.redis, self.reader)
        self.sweeper = Sweeper(settings, self.actor)
        self.ownership = Ownership(settings, self.actor, self.sweeper, self.redis)
        self._background: list[asyncio.Task[None]] = []

    async def run(self) -> None:
        """Run until stop() is called; every room is handed over before this returns."""
        log.info("worker %s starting (lease %d ms, heartbeat timeout %.1f s, scan %.1f s)",
                 self.worker_id, self.settings.lease_ttl_ms, self.settings.heartbeat_timeout_s,
                 self.settings.heartbeat_scan_s)
        self._background = [
            asyncio.create_task(self.ownership.run(), name="ownership"),
            asyncio.create_task(self.ownership.listen_for_wakes(), name="wakes"),
            asyncio.create_task(self.sweeper.run_silence_sweeps(), name="sweeps"),
        ]
        try:
            await self.actor.run()
            await self._wake_peers()
        finally:
            await self._cancel_background()
            await self.redis.aclose()
            await self.reader.aclose()

    async def stop(self) -> None:
        """Begin a clean stop: no more rounds, leave the live set, end the actor loop."""
        if self.actor.stopping:
            return
        log.info("worker %s stopping: handing over %d rooms", self.worker_id,
                 len(self.actor.rooms))
        # No round may run from here on, or it could announce this worker alive again.
        self.ownership.closing = self.sweeper.closing = True
        await self._cancel_background()
        try:
            await self.ownership.leave()
        except UNAVAILABLE as exc:
            log.warning("worker %s could not leave the live set (%s); peers notice within "
                        "%d ms", self.worker_id, exc, self.settings.lease_ttl_ms)
        self.actor.stopping = True
        self.actor.orders_ready.set()
        await self.actor.interrupt()

    async def _wake_peers(self) -> None:
        started = time.monotonic()
        try:
            await self.redis.publish(keys.WORKERS_WAKE, self.worker_id)
        except UNAVAILABLE:
            return
        log.info("worker %s stopped; peers woken in %.1f ms", self.worker_id,
                 (time.monotonic() - started) * 1000)

    async def _cancel_background(self) -> None:
        for task in self._background:
            task.cancel()
        # A library may swallow a cancellation that lands mid-call; the loops also watch
        # their `closing` flags, so they end at their next turn either way.
        if self._background:
            await asyncio.wait(self._background, timeout=self.settings.graceful_shutdown_s)
        self._background = []


async def serve(settings: Settings) -> None:
    worker = Worker(settings)
    loop = asyncio.get_running_loop()
    stops: set[asyncio.Task[None]] = set()

    def on_signal(signame: str) -> None:
        log.info("worker %s received %s", worker.worker_id, signame)
        stops.add(loop.create_task(worker.stop()))

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal, sig.name)
    await worker.run()
    await asyncio.gather(*stops)
