"""The parent's side of the generator processes: start them, command them, collect.

Processes are started with the spawn method, so none inherits the parent's threads or
sockets. Every call waits with a timeout; while it waits, the parent keeps sampling the
server processes through `idle`, every 50 ms at most.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any, cast

from bench import generator


class GeneratorError(RuntimeError):
    pass


class Fleet:
    def __init__(self, processes: int, ws_base: str, deadline: float) -> None:
        context = multiprocessing.get_context("spawn")
        self.conns: list[Connection] = []
        self.procs: list[BaseProcess] = []
        for _ in range(processes):
            parent_end, child_end = context.Pipe()
            proc = context.Process(target=generator.main, args=(child_end, ws_base, deadline),
                                   daemon=True)
            proc.start()
            child_end.close()
            self.conns.append(parent_end)
            self.procs.append(proc)

    @property
    def pids(self) -> dict[str, int]:
        return {f"generator-{n}": proc.pid for n, proc in enumerate(self.procs)
                if proc.pid is not None}

    def __len__(self) -> int:
        return len(self.procs)

    def call(self, commands: Sequence[tuple[Any, ...] | None], timeout_s: float,
             idle: Callable[[], None] | None = None) -> list[Any]:
        """Send command n to process n (None: skip it) and wait for every answer."""
        waiting: dict[Connection, int] = {}
        for n, (conn, command) in enumerate(zip(self.conns, commands, strict=True)):
            if command is not None:
                conn.send(command)
                waiting[conn] = n
        answers: list[Any] = [None] * len(self.conns)
        deadline = time.monotonic() + timeout_s
        while waiting:
            left = deadline - time.monotonic()
            if left <= 0:
                raise GeneratorError(f"{commands[0]!r:.40}: no answer in {timeout_s:.0f} s")
            for ready in wait(list(waiting), timeout=min(left, 0.05)):
                conn = cast(Connection, ready)
                try:
                    status, value = conn.recv()
                except EOFError:
                    raise GeneratorError("a generator process died") from None
                if status != "ok":
                    raise GeneratorError(f"a generator process failed:\n{value}")
                answers[waiting.pop(conn)] = value
            if idle is not None:
                idle()
        return answers

    def everyone(self, command: tuple[Any, ...], timeout_s: float,
                 idle: Callable[[], None] | None = None) -> list[Any]:
        return self.call([command] * len(self.conns), timeout_s, idle)

    def shutdown(self, timeout_s: float = 15) -> None:
        """Close every socket cleanly, then make sure no process is left."""
        with contextlib.suppress(GeneratorError, OSError):
            self.everyone(("close", timeout_s - 5), timeout_s)
        for proc in self.procs:
            proc.join(timeout=2)
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=2)
