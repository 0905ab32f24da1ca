"""Turning one room's stream entries into a Batch to commit: decode, apply the rules, and
encode what each edge must be told. No I/O: the actor commits what this prepares.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from common import envelope, keys
from common.bus import Entries
from common.events import BadEntry, Event, decode, entry_key
from common.protocol import encode
from room_worker import checkpoint
from room_worker.rules import Outcome, Player, apply_batch
from room_worker.store import Batch

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Prepared:
    batch: Batch
    events: int
    # Entries applied since the last checkpoint, counting this batch (0 if it wrote one).
    since_checkpoint: int


def prepare(room_id: str, players: dict[int, Player], applied_id: str,
            since_checkpoint: int, entries: Entries, checkpoint_every: int) -> Prepared:
    """The batch that applies `entries` to the room as it stands after `applied_id`."""
    events: list[Event] = []
    acked: list[str] = []
    applied_key = entry_key(applied_id)
    for entry_id, fields in entries:
        acked.append(entry_id)
        if entry_key(entry_id) <= applied_key or checkpoint.is_checkpoint(fields):
            continue  # already applied, or not an event: acknowledge only
        try:
            events.append(decode(entry_id, fields or {}))
        except BadEntry as exc:
            log.warning("room %s: skipping entry %s: %s", room_id, entry_id, exc)

    last_id = max([applied_id, *acked], key=entry_key)
    outcome, publishes = _outcome(room_id, players, events)
    since = since_checkpoint + len(events)
    due = since >= checkpoint_every
    batch = Batch(acked, last_id, outcome, publishes,
                  checkpoint.encode(last_id, outcome.players) if due else None)
    return Prepared(batch, len(events), 0 if due else since)


def _outcome(room_id: str, players: dict[int, Player],
             events: list[Event]) -> tuple[Outcome, dict[str, str]]:
    """Apply the events; if something in them cannot be applied or sent, apply them one by
    one and leave out those that fail, so one poisoned entry never stalls the room (or, by
    crashing the worker, every room it owns)."""
    try:
        outcome = apply_batch(players, events)
        return outcome, publishes_of(room_id, outcome)
    except Exception:
        log.exception("room %s: a batch of %d events failed; applying them one by one",
                      room_id, len(events))
    kept: list[Event] = []
    for event in events:
        try:
            publishes_of(room_id, apply_batch(players, [*kept, event]))
        except Exception:
            log.exception("room %s: skipping entry %s, which cannot be applied", room_id,
                          event.entry_id)
            continue
        kept.append(event)
    outcome = apply_batch(players, kept)
    return outcome, publishes_of(room_id, outcome)


def publishes_of(room_id: str, outcome: Outcome) -> dict[str, str]:
    """One envelope per edge that holds a socket of this room or must close one; the
    messages are encoded once and shared by every envelope."""
    texts = [encode(message) for message in outcome.broadcasts]
    closes_by_edge: dict[str, list[envelope.CloseOrder]] = {}
    for close in outcome.closes:
        closes_by_edge.setdefault(close.edge, []).append(
            envelope.CloseOrder(close.player_id, close.conn, close.code, close.reason)
        )

    edges = {p.edge for p in outcome.players.values()} if texts else set()
    edges.update(closes_by_edge)
    return {
        keys.edge_channel(edge): envelope.encode(room_id, texts, closes_by_edge.get(edge, []))
        for edge in edges
    }
