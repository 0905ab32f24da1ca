"""A short chaos run (scripts/chaos.py): processes die at random, the invariants hold."""

from __future__ import annotations

from tests.scripts import load_script


async def test_a_short_chaos_run_leaves_every_room_consistent() -> None:
    report = await load_script("chaos").run(seconds=15, clients=12, rooms=3, seed=7)
    print(f"{len(report.actions)} actions, {report.moves} moves, {report.reconnects} reconnects")
    assert len(report.actions) >= 2
    assert report.moves > 500
    assert report.violations == []
