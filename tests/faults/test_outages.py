"""Redis and MariaDB going away and coming back, under the running system."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis

from common import closecodes, keys
from tests.faults.conftest import FAULT_REDIS_URL, SystemFactory
from tests.faults.services import PrivateMariaDB, PrivateRedis
from tests.system.harness import Client, System, close_code_for, login, position


async def post(system: System, path: str, body: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient(base_url=system.auth_url, timeout=10) as client:
        return await client.post(path, json=body)


PROGRAMS = ["auth", "edge:edge-0", "edge:edge-1", "room_worker:room_worker-0",
            "room_worker:room_worker-1"]


def cpu_seconds(system: System) -> dict[str, float]:
    """User plus system CPU time of each process, read from /proc."""
    ticks = 100.0  # USER_HZ on Linux
    result = {}
    for program in PROGRAMS:
        pid = system.ctl("pid", program).strip()
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        result[program] = (int(fields[11]) + int(fields[12])) / ticks
    return result


async def test_redis_restarted_empty_is_survived_without_restarting_anything(
    make_system: SystemFactory, tmp_path: Path
) -> None:
    redis_server = PrivateRedis(tmp_path / "redis")
    redis_server.start()
    system = make_system(redis_url=redis_server.url, REDIS_RETRY_MAX_S="2")
    players = [login(system) for _ in range(4)]
    clients = [await Client.join(system, f"outage-{n % 2}", pid, token)
               for n, (pid, token) in enumerate(players)]
    for n, client in enumerate(clients):
        client._pinger.cancel()  # a frame during the outage would close the socket (1013)
        await client.send({"type": "move", "x": n + 1, "y": n + 1})
    for n, client in enumerate(clients):
        await client.wait_for(lambda m, c=client, n=n: position(m, c.player_id) == (n + 1,) * 2)

    redis_server.kill()
    marks = [len(client.messages) for client in clients]
    await asyncio.sleep(1.0)
    code, reason = await close_code_for(system.ws_url("outage-0"),
                                        {"Authorization": f"Bearer {players[0][1]}"})
    assert (code, reason) == (closecodes.TRY_AGAIN_LATER, "try again later")
    async with httpx.AsyncClient(timeout=10) as http:
        ready = await http.get(f"http://127.0.0.1:{system.edge_port}/readyz")
    assert ready.status_code == 503 and ready.json()["status"] == "not ready"
    before = cpu_seconds(system)
    await asyncio.sleep(4.0)
    spent = {p: cpu_seconds(system)[p] - before[p] for p in PROGRAMS}
    assert max(spent.values()) < 0.4, f"a process spins while Redis is away: {spent}"

    redis_server.start()  # same port, no data: everything Redis held is gone
    back_at = time.time()
    for n, client in enumerate(clients):
        mates = [(c.player_id, m + 1) for m, c in enumerate(clients) if m % 2 == n % 2]
        await client.wait_for(
            lambda msg, mates=mates: all(position(msg, pid) == (v, v) for pid, v in mates)
            and msg.get("players") is not None and len(msg["players"]) == len(mates),
            timeout_s=20, start=marks[n],
        )
    print(f"rooms whole again {max(c.arrivals[-1] for c in clients) - back_at:.2f} s after "
          f"Redis returned; CPU while away: {max(spent.values()):.2f} s in 4 s at most")

    await clients[0].send({"type": "move", "x": 50, "y": 60})
    await clients[2].wait_for(lambda m: position(m, clients[0].player_id) == (50, 60))
    store = aioredis.Redis.from_url(redis_server.url, decode_responses=True)
    assert await store.smembers(keys.members("outage-0")) == {
        str(clients[0].player_id), str(clients[2].player_id)}
    assert (await store.hgetall(keys.player("outage-0", str(clients[0].player_id))))["x"] == "50"
    await store.aclose()
    for client in clients:
        await client.close()
    system.stop()
    redis_server.kill()


@pytest.fixture
def mariadb(tmp_path: Path) -> PrivateMariaDB:
    server = PrivateMariaDB(tmp_path / "mariadb")
    server.install()
    server.start()
    server.sql("CREATE DATABASE game CHARACTER SET utf8mb4")
    yield server  # type: ignore[misc]
    server.stop()


async def test_register_and_login_answer_503_while_mariadb_is_down_and_recover(
    make_system: SystemFactory, mariadb: PrivateMariaDB
) -> None:
    system = make_system(DATABASE_URL=mariadb.url("game"), DB_CONNECT_TIMEOUT_S="2")
    player_id, token = login(system)
    login_before = login(system)  # used for a socket opened while the database is down
    client = await Client.join(system, "db-down", player_id, token)
    body = {"username": "late_comer", "password": "correct horse"}

    mariadb.stop()
    async with httpx.AsyncClient(timeout=10) as http:
        ready = await http.get(f"{system.auth_url}/readyz")
    assert ready.status_code == 503
    assert ready.json()["problems"][0].startswith("database unreachable")
    for path in ("/register", "/login"):
        started = time.monotonic()
        answer = await post(system, path, body)
        assert answer.status_code == 503
        assert answer.json() == {"detail": "the user database is unavailable; try again later"}
        assert time.monotonic() - started < 5
    # Sockets do not need the database: tokens are checked by signature alone.
    await client.send({"type": "move", "x": 7, "y": 7})
    await client.wait_for(lambda m: position(m, player_id) == (7, 7))
    other_id, other_token = login_before
    other = await Client.join(system, "db-down", other_id, other_token)
    await client.wait_for(lambda m: position(m, other_id) == (0, 0))
    await other.close()

    mariadb.start()
    assert (await post(system, "/register", body)).status_code == 201
    assert (await post(system, "/login", body)).status_code == 200
    assert "Traceback" not in (system.run_dir / "auth.log").read_text()


async def test_connections_closed_by_the_server_for_idleness_never_cause_a_500(
    make_system: SystemFactory, mariadb: PrivateMariaDB
) -> None:
    system = make_system(DATABASE_URL=mariadb.url("game"))
    login(system)
    mariadb.sql("SET GLOBAL wait_timeout = 1")
    body = {"username": "idle_user", "password": "correct horse"}
    for _ in range(3):
        await asyncio.sleep(2.5)  # every pooled connection is now dead on the server side
        assert (await post(system, "/register", body)).status_code in (
            201, 409)
        assert (await post(system, "/login", body)).status_code == 200


async def test_rooms_come_back_whole_after_redis_loses_its_data_under_live_clients(
    make_system: SystemFactory
) -> None:
    system = make_system()
    players = [login(system) for _ in range(8)]
    clients = [await Client.join(system, f"wipe-{n % 2}", pid, token)
               for n, (pid, token) in enumerate(players)]  # all keep pinging every second
    for n, client in enumerate(clients):
        await client.send({"type": "move", "x": n, "y": n})
    marks = [len(c.messages) for c in clients]

    store = aioredis.Redis.from_url(FAULT_REDIS_URL, decode_responses=True)
    await store.flushdb()  # connections stay up; everything Redis held is gone
    for n, client in enumerate(clients):
        mates = {c.player_id for m, c in enumerate(clients) if m % 2 == n % 2}
        await client.wait_for(
            lambda msg, mates=mates: msg["type"] == "state"
            and {p["player_id"] for p in msg["players"]} == mates,
            timeout_s=15, start=marks[n])
    await asyncio.sleep(2.5)  # past EDGE_TTL_MS: no edge may be taken for dead meanwhile

    assert all(not c.closed for c in clients), [c.close_code for c in clients]
    for room in ("wipe-0", "wipe-1"):
        expected = {str(c.player_id) for n, c in enumerate(clients) if f"wipe-{n % 2}" == room}
        assert await store.smembers(keys.members(room)) == expected
    await store.aclose()
    for client in clients:
        await client.close()


async def test_a_burst_bigger_than_the_redis_pool_waits_its_turn_instead_of_failing(
    make_system: SystemFactory
) -> None:
    system = make_system(REDIS_MAX_CONNECTIONS="8")
    players = [login(system) for _ in range(40)]
    clients = await asyncio.gather(*(Client.join(system, f"pool-{n % 4}", pid, token)
                                     for n, (pid, token) in enumerate(players)))
    await asyncio.gather(*(c.send({"type": "move", "x": 5, "y": n})
                           for n, c in enumerate(clients) for _ in range(5)))
    for n, client in enumerate(clients):
        await client.wait_for(lambda m, c=client, n=n: position(m, c.player_id) == (5, n))
    assert all(not c.closed for c in clients)
    assert "Too many connections" not in "".join(
        p.read_text() for p in system.run_dir.glob("*.log"))
    for client in clients:
        await client.close()
