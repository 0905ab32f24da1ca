"""The sockets this edge holds, by room: whom to hand each room's messages to."""

from __future__ import annotations

from typing import Protocol


class Socket(Protocol):
    conn: str

    def send(self, text: str) -> None: ...

    def close_soon(self, code: int, reason: str) -> None: ...

    async def rejoin(self) -> None: ...


class Registry:
    def __init__(self) -> None:
        self._rooms: dict[str, dict[str, Socket]] = {}

    def add(self, room_id: str, socket: Socket) -> None:
        self._rooms.setdefault(room_id, {})[socket.conn] = socket

    def remove(self, room_id: str, socket: Socket) -> None:
        sockets = self._rooms.get(room_id)
        if sockets is None:
            return
        sockets.pop(socket.conn, None)
        if not sockets:
            del self._rooms[room_id]

    def in_room(self, room_id: str) -> list[Socket]:
        return list(self._rooms.get(room_id, {}).values())

    def find(self, room_id: str, conn: str) -> Socket | None:
        return self._rooms.get(room_id, {}).get(conn)

    def all(self) -> list[Socket]:
        return [s for sockets in self._rooms.values() for s in sockets.values()]

    def __len__(self) -> int:
        return sum(len(sockets) for sockets in self._rooms.values())
