"""Abuse and edge cases on the real processes: floods, big frames, stale or deleted users,
full rooms, and secrets kept out of every log."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import httpx
import jwt
import pymysql
from sqlalchemy.engine import make_url
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from common import closecodes, tokens
from tests.conftest import TEST_DATABASE_URL, make_settings
from tests.system.conftest import SystemFactory
from tests.system.harness import Client, System, close_code_for, login, position


async def test_a_flooding_client_is_cut_off_and_its_room_mates_do_not_notice(
    system: System
) -> None:
    (a_id, a_token), (b_id, b_token) = login(system), login(system)
    calm = await Client.join(system, "flood", a_id, a_token)
    flood = await Client.join(system, "flood", b_id, b_token)

    sent = 0
    try:
        for sent in range(1, 3001):  # far over the 30 frames a second allowed
            await flood.ws.send('{"type":"ping"}')
            if sent % 100 == 0:
                await asyncio.sleep(0.01)
    except ConnectionClosed:
        pass
    assert await flood.wait_closed() == closecodes.TOO_MANY_FRAMES
    assert any(m["type"] == "error" and m["reason"].startswith("rate limit")
               for m in flood.messages)

    started = time.monotonic()
    await calm.send({"type": "move", "x": 3, "y": 4})
    await calm.wait_for(lambda m: position(m, a_id) == (3, 4))
    assert time.monotonic() - started < 0.5
    await calm.wait_for(lambda m: m == {"type": "leave", "player_id": b_id})
    await calm.close()


async def test_a_frame_over_16_kib_closes_the_socket_with_1009(system: System) -> None:
    player_id, token = login(system)
    client = await Client.join(system, "big-frame", player_id, token)
    await client.send('{"type":"ping","pad":"' + "x" * 20_000 + '"}')
    assert await client.wait_closed() == closecodes.MESSAGE_TOO_BIG


async def test_a_socket_is_closed_with_1008_when_its_token_expires(system: System) -> None:
    player_id, _ = login(system)
    settings = make_settings(secret_key=system.env["SECRET_KEY"])
    lifetime_s = settings.access_token_expire_minutes * 60
    short = tokens.issue(settings, player_id, "brief", now=time.time() - lifetime_s + 2)
    other_id, other_token = login(system)
    watcher = await Client.join(system, "expiry", other_id, other_token)
    client = await Client.join(system, "expiry", player_id, short)

    assert await client.wait_closed(timeout_s=6) == closecodes.POLICY_VIOLATION
    assert client.close_reason == "token expired"
    await watcher.wait_for(lambda m: m == {"type": "leave", "player_id": player_id})
    await watcher.close()


async def test_the_token_of_a_deleted_user_is_refused_with_1008(system: System) -> None:
    player_id, token = login(system)
    url = make_url(TEST_DATABASE_URL)
    connection = pymysql.connect(host=url.host, port=url.port or 3306, user=url.username,
                                 password=url.password or "", database=url.database)
    with connection, connection.cursor() as cursor:
        cursor.execute("DELETE FROM users WHERE id = %s", (player_id,))
        connection.commit()

    code, reason = await close_code_for(system.ws_url("ghosts"),
                                        {"Authorization": f"Bearer {token}"})
    assert (code, reason) == (closecodes.POLICY_VIOLATION, "user no longer exists")


async def test_tokens_with_a_bad_subject_or_no_expiry_are_refused(system: System) -> None:
    key = system.env["SECRET_KEY"]
    later = int(time.time()) + 600
    for claims in ({"sub": 7, "exp": later}, {"sub": "seven", "exp": later},
                   {"exp": later}, {"sub": "7"}, {"sub": "9" * 20, "exp": later},
                   {"sub": "1" * 5000, "exp": later}, {"sub": "0", "exp": later}):
        token = jwt.encode(claims, key, algorithm="HS256")
        code, _ = await close_code_for(system.ws_url("gate"),
                                       {"Authorization": f"Bearer {token}"})
        assert code == closecodes.POLICY_VIOLATION, claims


async def test_a_full_room_refuses_one_more_player_with_4005(
    make_system: SystemFactory
) -> None:
    system = make_system(ROOM_MAX_PLAYERS="2", LOG_LEVEL="DEBUG")
    players = [login(system) for _ in range(3)]
    inside = [await Client.join(system, "cosy", pid, tok) for pid, tok in players[:2]]

    async with connect(system.ws_url("cosy"),
                       additional_headers={"Authorization": f"Bearer {players[2][1]}"}) as ws:
        try:
            await asyncio.wait_for(ws.recv(), 5)
            await asyncio.wait_for(ws.recv(), 5)
        except ConnectionClosed:
            pass
        assert (ws.close_code, ws.close_reason) == (closecodes.ROOM_FULL,
                                                    "room is full (2 players)")
    await asyncio.sleep(0.3)
    assert len(inside[0].last_state()["players"]) == 2
    for client in inside:
        await client.close()
    assert_no_secrets(system.run_dir)


async def test_x_forwarded_for_cannot_choose_the_address_the_throttle_counts(
    make_system: SystemFactory
) -> None:
    system = make_system(LOGIN_MAX_FAILURES_PER_ADDRESS="3")
    async with httpx.AsyncClient(base_url=system.auth_url, timeout=10) as http:
        for n in range(3):
            answer = await http.post("/login", headers={"X-Forwarded-For": f"198.51.100.{n}"},
                                     json={"username": f"spoof{n}", "password": "wrong pass"})
            assert answer.status_code == 401
        refused = await http.post("/login", json={"username": "spoof9",
                                                  "password": "wrong pass"})
    assert refused.status_code == 429
    assert "from 198.51.100" not in (system.run_dir / "auth.log").read_text()


# A JWT, a bcrypt hash, or the password every test user has.
SECRETS = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*|\$2[aby]\$\d\d\$|correct horse")


def assert_no_secrets(run_dir: Path) -> None:
    logs = list(run_dir.glob("*.log"))
    assert logs
    for path in logs:
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            assert not SECRETS.search(line), f"{path.name}:{number} leaks a secret: {line}"


def test_no_log_line_of_any_process_holds_a_token_a_password_or_a_hash(
    system: System
) -> None:
    assert_no_secrets(system.run_dir)
