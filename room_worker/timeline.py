"""What one stream entry did, in words and as data: the replay tool's timeline.

Pure: it compares the room before and after the rules applied one entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from common.events import Event, Join, Kick, Leave, Move, Ping, entry_ms
from room_worker.rules import Outcome, Player


@dataclass(frozen=True, slots=True)
class Step:
    entry_id: str
    event: str
    effect: str
    detail: str
    player_id: int | None = None
    name: str = ""
    before: tuple[float, float] | None = None
    after: tuple[float, float] | None = None
    state: list[dict[str, Any]] | None = field(default=None, compare=False)

    @property
    def time(self) -> str:
        moment = datetime.fromtimestamp(entry_ms(self.entry_id) / 1000, UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def as_json(self) -> dict[str, Any]:
        row: dict[str, Any] = {"time": self.time, "entry_id": self.entry_id,
                               "player_id": self.player_id, "event": self.event,
                               "effect": self.effect, "detail": self.detail}
        if self.before is not None:
            row["from"] = list(self.before)
        if self.after is not None:
            row["to"] = list(self.after)
        if self.state is not None:
            row["state"] = self.state
        return row

    def as_text(self) -> str:
        who = f"player {self.player_id}" if self.player_id is not None else ""
        if self.name:
            who += f" ({self.name})"
        return f"{self.time}  {self.entry_id:<20} {who:<24} {self.event:<10} {self.detail}"


def describe(event: Event, before: dict[int, Player], outcome: Outcome) -> Step:
    """The step for one event applied alone to `before`, giving `outcome`."""
    was = before.get(event.player_id)
    now = outcome.players.get(event.player_id)
    known = now or was
    name = known.name if known is not None else ""
    kind = type(event).__name__.lower()
    step = _effect(event, was, now, len(before))
    return Step(event.entry_id, kind, step[0], step[1], event.player_id, name,
                _where(was), _where(now))


def _effect(event: Event, was: Player | None, now: Player | None,
            room_size: int) -> tuple[str, str]:
    stale = f"ignored: socket {event.conn} is not this player's socket in the room"
    if isinstance(event, Join):
        if was is not None and was.conn == event.conn:
            return "ignored", "ignored: this socket already joined"
        if now is None and event.cap and room_size >= event.cap:
            return "refused", f"refused: the room is full ({event.cap} players, closed 4005)"
        if now is None or now.conn != event.conn:
            return "refused", "refused: the player joined on a newer socket meanwhile"
        again = "joined again" if event.rejoin else "joined"
        replaced = f", replacing socket {was.conn} (closed 4001)" if was is not None else ""
        return "joined", f"{again} at {_fmt(now)}, colour {now.color}{replaced}"
    if was is None or was.conn != event.conn:
        return "ignored", stale
    if isinstance(event, Move):
        return "moved", f"{_fmt(was)} -> {_fmt(now)}"
    if isinstance(event, Ping):
        return "seen", "seen (heartbeat)"
    if isinstance(event, Leave):
        return "left", f"left ({event.reason})"
    if isinstance(event, Kick):
        if now is not None:
            return "kept", "kick not applied: the player spoke after the sweep looked"
        return "removed", f"removed: {event.reason} (closed {event.code})"
    return "unknown", "unknown event"


def _where(player: Player | None) -> tuple[float, float] | None:
    return (player.x, player.y) if player is not None else None


def _fmt(player: Player | None) -> str:
    return f"({player.x:g}, {player.y:g})" if player is not None else "nowhere"


def note(entry_id: str, event: str, detail: str) -> Step:
    """A line for an entry that is not an event: a checkpoint, or one the rules skip."""
    return Step(entry_id, event, event, detail)
