"""Move latency: from sending a move to each other room member seeing it in a `state`.

Every client moves to x = its own sequence number (1, 2, 3, ...), y = 0, and the room
keeps the send time of each one. A receiver remembers the last x it saw of each player.
When a state shows player P at x = s and the receiver last saw P at s' < s, the moves
s'+1 .. s all became visible with it (the worker coalesces the moves it reads in one batch
into one state), so each gets the latency now - sent(P, k). The mover itself is left out:
its own echo is not what other players wait for. A move is lost if some member still has
not seen it, or a later move of the same player, once the bounded wait after the last send
is over.

Doing that literally costs a loop over the room for every message every member gets, and
the generator would measure itself. But the owner sends every member the same states in
the same order, so the room numbers the states as they first arrive and works out once,
per state, which moves it reveals. A member that got every state so far ("in step") only
notes (state number, arrival time); the latencies are computed from those notes in bulk at
the end. A member that misses a state or gets one out of turn falls back to its own
bookkeeping, and rejoins the room's numbering once what it has seen matches it again.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson

# Far below the protocol's ±1,000,000 limit for any run the command line allows.
MAX_SEQUENCE = 999_999
# States of a room whose text is kept to match members that receive them later.
KEPT_STATES = 512
# Receipts turned into latencies at a time at the end, to bound the memory it takes.
EXPAND_CHUNK = 50_000

Pairs = list[tuple[int, int]]


@dataclass(slots=True)
class Recorder:
    """Latencies (ms) measured one by one, and when each was seen (s after t0)."""

    latency_ms: array[float] = field(default_factory=lambda: array("f"))
    at: array[float] = field(default_factory=lambda: array("f"))
    t0: float = 0.0
    active: bool = False


class RoomTrack:
    """One room as a generator process sees it: its players' sends and its states."""

    def __init__(self, room_id: str, player_ids: list[int], recorder: Recorder) -> None:
        self.room_id = room_id
        self.player_ids = player_ids
        self.slots = {player_id: slot for slot, player_id in enumerate(player_ids)}
        self.sent = [array("d", [0.0]) for _ in player_ids]  # [slot][seq]; 0 is the join
        self.last = [0] * len(player_ids)
        self.recorder = recorder
        self.receivers: list[Receiver] = []
        # The room's states in order: text (dropped when old), (slot, x) pairs, and the
        # highest x of every player once that state was seen.
        self.payloads: list[bytes | None] = []
        self.pairs: list[Pairs | None] = []
        self.seen_after: list[list[int] | None] = []
        self.index: dict[bytes, int] = {}
        self.running = [0] * len(player_ids)
        # Moves each state revealed: reveal_start[n] .. + reveal_count[n] in the flat arrays.
        self.reveal_start, self.reveal_count = array("q"), array("q")
        self.reveal_slot, self.reveal_time = array("q"), array("d")
        # Receipts by in-step members: state number, arrival (s after t0), member's slot.
        self.note_state, self.note_at, self.note_slot = array("q"), array("d"), array("q")

    def next_sequence(self, slot: int, now: float) -> int:
        self.sent[slot].append(now)
        self.last[slot] += 1
        return self.last[slot]

    def decode(self, payload: bytes, message: dict[str, Any] | None) -> Pairs:
        if message is None:
            message = orjson.loads(payload)
        slots, last = self.slots, self.last
        # x never exceeds the last move sent; min() only guards against a foreign value.
        return [(slot, min(int(p["x"]), last[slot])) for p in message["players"]
                if (slot := slots.get(p["player_id"])) is not None]

    def append(self, payload: bytes, message: dict[str, Any] | None) -> int:
        """Number a state that follows the newest one, and note which moves it reveals."""
        pairs = self.decode(payload, message)
        number = len(self.payloads)
        running, sent = self.running, self.sent
        self.reveal_start.append(len(self.reveal_slot))
        for slot, x in pairs:
            for k in range(running[slot] + 1, x + 1):
                self.reveal_slot.append(slot)
                self.reveal_time.append(sent[slot][k])
            running[slot] = max(running[slot], x)
        self.reveal_count.append(len(self.reveal_slot) - self.reveal_start[number])
        self.payloads.append(payload)
        self.pairs.append(pairs)
        self.seen_after.append(list(running))
        self.index[payload] = number
        old = number - KEPT_STATES
        if old >= 0 and (text := self.payloads[old]) is not None:
            # A member that far behind keeps its own account from here on.
            for member in self.receivers:
                if member.in_step and member.number <= old:
                    member.step_out()
            self.index.pop(text, None)
            self.payloads[old] = self.pairs[old] = self.seen_after[old] = None
        return number

    def receiver(self, slot: int) -> Receiver:
        made = Receiver(self, slot)
        self.receivers.append(made)
        return made

    def expand(self) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """Latencies (ms) and their times (s after t0) from the in-step members' notes."""
        starts = np.frombuffer(self.reveal_start, dtype=np.int64)
        counts = np.frombuffer(self.reveal_count, dtype=np.int64)
        slots = np.frombuffer(self.reveal_slot, dtype=np.int64)
        times = np.frombuffer(self.reveal_time, dtype=np.float64) - self.recorder.t0
        states = np.frombuffer(self.note_state, dtype=np.int64)
        ats = np.frombuffer(self.note_at, dtype=np.float64)
        members = np.frombuffer(self.note_slot, dtype=np.int64)
        latency, at = [np.zeros(0, np.float32)], [np.zeros(0, np.float32)]
        for first in range(0, states.size, EXPAND_CHUNK):
            part = slice(first, first + EXPAND_CHUNK)
            many = counts[states[part]]
            total = int(many.sum())
            # Position in the flat reveal arrays of every move of every noted state.
            where = np.repeat(starts[states[part]] - (np.cumsum(many) - many), many)
            where += np.arange(total)
            seen_at = np.repeat(ats[part], many)
            others = slots[where] != np.repeat(members[part], many)
            latency.append(((seen_at - times[where])[others] * 1000).astype(np.float32))
            at.append(seen_at[others].astype(np.float32))
        return np.concatenate(latency), np.concatenate(at)


class Receiver:
    """What one client has seen of its room."""

    def __init__(self, room: RoomTrack, slot: int) -> None:
        self.room = room
        self.slot = slot
        # The room's number of the last state it got, while in step; -1 before any.
        self.number = -1
        self.in_step = False
        # Its own highest x of every player, kept only while out of step.
        self.seen = [0] * len(room.player_ids)
        # Players of its room listed in the last state it got: the room is settled when
        # every member lists every other.
        self.visible = 0
        self.alive = True
        self.resyncs = 0
        self.last_payload: bytes | None = None

    def on_state(self, payload: bytes, message: dict[str, Any] | None, now: float) -> Pairs:
        """Take in one state; returns its (slot, x) pairs."""
        room = self.room
        following = self.number + 1
        if self.in_step:
            if following == len(room.payloads):
                room.append(payload, message)
            elif room.payloads[following] != payload:
                self.step_out()
                return self._on_own(payload, message, now)
            # The hot path, once per message per member: _note and _shown written out.
            self.number = following
            recorder = room.recorder
            if recorder.active and room.reveal_count[following]:
                room.note_state.append(following)
                room.note_at.append(now - recorder.t0)
                room.note_slot.append(self.slot)
            pairs = room.pairs[following]
            assert pairs is not None
            self.visible = len(pairs)
            return pairs
        if following == 0 and not room.payloads:  # the room's very first state
            room.append(payload, message)
            self.in_step = True
            self.number = 0
            return self._shown(room.pairs[0])
        return self._on_own(payload, message, now)

    def _note(self, now: float) -> None:
        """An in-step member got state `number` now: note it if it revealed any move."""
        room, number = self.room, self.number
        if room.recorder.active and room.reveal_count[number]:
            room.note_state.append(number)
            room.note_at.append(now - room.recorder.t0)
            room.note_slot.append(self.slot)

    def _shown(self, pairs: Pairs | None) -> Pairs:
        assert pairs is not None
        self.visible = len(pairs)
        return pairs

    def step_out(self) -> None:
        seen = self.room.seen_after[self.number] if self.number >= 0 else None
        self.seen = list(seen) if seen is not None else [0] * len(self.seen)
        self.in_step = False
        self.resyncs += 1

    def _on_own(self, payload: bytes, message: dict[str, Any] | None, now: float) -> Pairs:
        """Out of step: compare the state with what this member saw itself."""
        room = self.room
        number = room.index.get(payload)
        if (number is None and room.payloads and self.last_payload is not None
                and room.payloads[-1] == self.last_payload and self.seen == room.running):
            # It got the room's newest state and nothing else, so this one comes next: a
            # member on a faster edge may be the first to see every state.
            self.last_payload = None
            self.in_step, self.number = True, room.append(payload, message)
            self._note(now)
            return self._shown(room.pairs[self.number])
        self.last_payload = payload
        pairs = room.pairs[number] if number is not None else None
        if pairs is None:
            pairs = room.decode(payload, message)
        self.visible = len(pairs)
        seen, me, recorder = self.seen, self.slot, room.recorder
        for slot, x in pairs:
            before = seen[slot]
            if x <= before:
                continue
            seen[slot] = x
            if slot != me and recorder.active:
                times = room.sent[slot]
                for k in range(before + 1, x + 1):
                    recorder.latency_ms.append((now - times[k]) * 1000.0)
                    recorder.at.append(now - recorder.t0)
        # Back in step once it has seen exactly what the room's numbering says.
        if number is not None and room.seen_after[number] == seen:
            self.in_step, self.number = True, number
        return pairs

    def seen_of(self, slot: int) -> int:
        if self.in_step:
            after = self.room.seen_after[self.number]
            return after[slot] if after is not None else self.room.running[slot]
        return self.seen[slot]

    def caught_up(self) -> bool:
        last = self.room.last
        return all(self.seen_of(slot) >= last[slot] for slot in range(len(last))
                   if slot != self.slot)


@dataclass(frozen=True, slots=True)
class Delivery:
    """Moves of one room: sent, and lost (unseen by some member at the end)."""

    sent: int
    # Moves of players still connected that some member never saw: lost without a word.
    lost: int
    # Moves of players whose socket the server closed, unseen: it said so by closing.
    lost_closed: int
    # (member, player) pairs where the member ended behind the player's last move.
    behind: int
    # Members still connected at the end: only they can say whether a move arrived.
    members: int


def delivery(room: RoomTrack) -> Delivery:
    """Count lost moves; members whose socket closed early are not asked."""
    sent = lost = lost_closed = behind = 0
    members = [r for r in room.receivers if r.alive]
    for slot, last in enumerate(room.last):
        sent += last
        gaps = [last - r.seen_of(slot) for r in members if r.slot != slot]
        unseen = max(0, max(gaps, default=0))
        if room.receivers[slot].alive:
            lost += unseen
        else:
            lost_closed += unseen
        behind += sum(1 for gap in gaps if gap > 0)
    return Delivery(sent, lost, lost_closed, behind, len(members))
