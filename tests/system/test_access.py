"""Who may open a socket: tokens and room ids, checked through the real uvicorn edges."""

from __future__ import annotations

import time

import jwt
import pytest

from common import closecodes, tokens
from tests.conftest import make_settings
from tests.system.harness import Client, System, close_code_for, login


def _system_settings(system: System):  # type: ignore[no-untyped-def]
    return make_settings(secret_key=system.env["SECRET_KEY"])


def _tampered(token: str) -> str:
    header, _payload, signature = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["sub"] = str(int(claims["sub"]) + 1000)
    forged = jwt.encode(claims, "guess" * 8, algorithm="HS256").split(".")[1]
    return ".".join([header, forged, signature])


async def test_a_missing_token_is_closed_with_1008(system: System) -> None:
    code, reason = await close_code_for(system.ws_url("gate"))
    assert (code, reason) == (closecodes.POLICY_VIOLATION, "missing token")


@pytest.mark.parametrize("kind", ["garbage", "tampered", "wrong key", "expired", "none alg"])
async def test_a_bad_token_is_closed_with_1008_in_header_or_query(
    system: System, kind: str
) -> None:
    player_id, good = login(system)
    settings = _system_settings(system)
    bad = {
        "garbage": "not-a-token",
        "tampered": _tampered(good),
        "wrong key": tokens.issue(make_settings(secret_key="x" * 40), player_id, "eve"),
        "expired": tokens.issue(settings, player_id, "eve", now=time.time() - 7200),
        "none alg": jwt.encode({"sub": str(player_id), "exp": int(time.time()) + 60},
                               key=None, algorithm="none"),
    }[kind]

    by_header = await close_code_for(system.ws_url("gate"), {"Authorization": f"Bearer {bad}"})
    by_query = await close_code_for(system.ws_url("gate") + f"?token={bad}")
    assert by_header[0] == by_query[0] == closecodes.POLICY_VIOLATION
    expected = "token expired" if kind == "expired" else "invalid token"
    assert by_header[1] == by_query[1] == expected


async def test_a_token_in_the_query_string_is_accepted(system: System) -> None:
    _player_id, token = login(system)
    code, _ = await close_code_for(system.ws_url("gate") + f"?token={token}")
    # The socket is accepted: nothing closes it within the wait, so no close code.
    assert code == 0


async def test_the_authorization_header_wins_over_the_query_string(system: System) -> None:
    _, token = login(system)
    url = system.ws_url("gate") + f"?token={token}"
    code, reason = await close_code_for(url, {"Authorization": "Bearer not-a-token"})
    assert (code, reason) == (closecodes.POLICY_VIOLATION, "invalid token")


@pytest.mark.parametrize("room_id", ["a" * 65, "bad%20room", "semi;colon", "brace%7Bx%7D",
                                     "", "a/b", "a%2Fb", "ok/"])
async def test_a_malformed_room_id_is_closed_with_1008(system: System, room_id: str) -> None:
    _, token = login(system)
    code, reason = await close_code_for(system.ws_url(room_id),
                                        {"Authorization": f"Bearer {token}"})
    assert code == closecodes.POLICY_VIOLATION
    assert reason.startswith("invalid room id")


async def test_a_valid_token_joins_the_room(system: System) -> None:
    player_id, token = login(system)
    client = await Client.join(system, "gate-ok", player_id, token)
    assert Client.sees(client.last_state(), player_id)
    await client.close()
