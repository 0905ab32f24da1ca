"""A short chaos run (scripts/chaos.py): processes die at random, the invariants hold."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _chaos() -> ModuleType:
    spec = importlib.util.spec_from_file_location("chaos", ROOT / "scripts" / "chaos.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["chaos"] = module
    spec.loader.exec_module(module)
    return module


async def test_a_short_chaos_run_leaves_every_room_consistent() -> None:
    report = await _chaos().run(seconds=15, clients=12, rooms=3, seed=7)
    print(f"{len(report.actions)} actions, {report.moves} moves, {report.reconnects} reconnects")
    assert len(report.actions) >= 2
    assert report.moves > 500
    assert report.violations == []
