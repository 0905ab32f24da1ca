"""What operators see: health and readiness, Prometheus metrics, the status command."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys

import httpx

from tests.system.harness import ROOT, SYSTEM_REDIS_URL, Client, System, login, position


def metric(text: str, name: str, labels: str = "") -> float:
    """The value of one sample in the Prometheus text format; 0 when absent."""
    pattern = re.escape(name) + (r"\{" + re.escape(labels) + r"\}" if labels else "") + r" (\S+)"
    found = re.findall(r"^" + pattern + r"$", text, re.MULTILINE)
    return sum(float(value) for value in found)


async def test_health_and_readiness_endpoints_answer_on_auth_and_edges(
    system: System
) -> None:
    edge = f"http://127.0.0.1:{system.edge_port}"
    async with httpx.AsyncClient(timeout=5) as http:
        assert (await http.get(f"{edge}/healthz")).json()["status"] == "ok"
        ready = await http.get(f"{edge}/readyz")
        assert ready.status_code == 200 and ready.json()["problems"] == []
        assert (await http.get(f"{system.auth_url}/healthz")).status_code == 200
        auth_ready = await http.get(f"{system.auth_url}/readyz")
        assert auth_ready.status_code == 200, auth_ready.text


async def test_metrics_of_every_process_add_up_behind_any_edge(system: System) -> None:
    (a_id, a_token), (b_id, b_token) = login(system), login(system)
    a = await Client.join(system, "metrics", a_id, a_token)
    b = await Client.join(system, "metrics", b_id, b_token)
    for step in range(5):
        await a.send({"type": "move", "x": step, "y": 1})
    await b.wait_for(lambda m: position(m, a_id) == (4, 1))

    async with httpx.AsyncClient(timeout=5) as http:
        edge_text = (await http.get(f"http://127.0.0.1:{system.edge_port}/metrics")).text
        auth_text = (await http.get(f"{system.auth_url}/metrics")).text
    for text in (edge_text, auth_text):  # the same totals from any process
        assert metric(text, "rooms_edge_sockets") >= 2
        assert metric(text, "rooms_edge_frames_in_total", 'type="move"') >= 5
        assert metric(text, "rooms_edge_frames_out_total") > 0
        assert metric(text, "rooms_worker_events_applied_total") >= 7
        assert metric(text, "rooms_worker_rooms_owned") >= 1
        assert metric(text, "rooms_auth_logins_total", 'outcome="ok"') >= 2
        assert metric(text, "rooms_auth_registrations_total", 'outcome="created"') >= 2
        assert "rooms_worker_batch_seconds_bucket" in text
        assert "rooms_auth_hash_seconds_count" in text
    await a.close()
    await b.close()


def status_cli(*args: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "room_worker.status", *args, "--redis-url", SYSTEM_REDIS_URL],
        cwd=ROOT, capture_output=True, text=True, timeout=30, check=True).stdout


async def test_the_status_command_lists_workers_edges_and_rooms(system: System) -> None:
    player_id, token = login(system)
    client = await Client.join(system, "status-room", player_id, token)
    status = json.loads(await asyncio.to_thread(status_cli, "--json"))
    assert len(status["workers"]) == 2 and len(status["edges"]) == 2
    room = next(r for r in status["rooms"] if r["room_id"] == "status-room")
    assert room["owner"] in status["workers"] and room["players"] == 1
    assert room["stream_length"] >= 1 and room["pending"] == 0

    table = await asyncio.to_thread(status_cli)
    assert "workers (2 live)" in table and "status-room" in table
    await client.close()
