"""`POST /register`: the new user comes back, taken names are refused, bad input is explained."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest

from common.config import Settings
from tests.auth.support import PASSWORD, login, register

# Under 72 characters but over 72 bytes: bcrypt would silently ignore the tail.
LONG_UTF8_PASSWORD = "ключ" * 10


async def test_register_answers_201_with_the_new_user_and_no_password_or_hash(
    client: httpx.AsyncClient,
) -> None:
    response = await register(client, "alice")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "username", "created_at"}
    assert isinstance(body["id"], int)
    assert body["id"] > 0
    assert body["username"] == "alice"

    created_at = datetime.fromisoformat(body["created_at"])
    assert created_at.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - created_at) < timedelta(minutes=1)

    assert PASSWORD not in response.text
    assert "$2" not in response.text
    assert "hash" not in response.text.lower()


async def test_a_taken_username_is_refused_with_409(client: httpx.AsyncClient) -> None:
    assert (await register(client, "bob")).status_code == 201

    response = await register(client, "bob", "another password")

    assert response.status_code == 409
    assert response.json() == {"detail": "username already taken"}


async def test_a_name_differing_only_in_case_counts_as_taken(client: httpx.AsyncClient) -> None:
    assert (await register(client, "bob")).status_code == 201

    assert (await register(client, "BOB")).status_code == 409
    assert (await register(client, "Bob")).status_code == 409


async def test_spaces_around_the_username_are_trimmed(client: httpx.AsyncClient) -> None:
    response = await register(client, " bob ")

    assert response.status_code == 201
    assert response.json()["username"] == "bob"
    assert (await register(client, "bob")).status_code == 409
    assert (await login(client, "bob")).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"username": "ab", "password": PASSWORD}, "username", id="short-username"),
        pytest.param({"username": "a" * 33, "password": PASSWORD}, "username", id="long-username"),
        pytest.param({"username": "bob!", "password": PASSWORD}, "username", id="bad-character"),
        pytest.param({"username": "bo b", "password": PASSWORD}, "username", id="inner-space"),
        pytest.param({"username": "   ", "password": PASSWORD}, "username", id="only-spaces"),
        pytest.param({"username": "bob", "password": "short"}, "password", id="short-password"),
        pytest.param(
            {"username": "bob", "password": LONG_UTF8_PASSWORD}, "password", id="password-bytes"
        ),
        pytest.param({"username": "bob"}, "password", id="missing-password"),
        pytest.param({"password": PASSWORD}, "username", id="missing-username"),
        pytest.param(
            {"username": "bob", "password": PASSWORD, "is_admin": True}, "is_admin", id="extra"
        ),
        pytest.param({"username": "bob", "password": 12345678}, "password", id="not-a-string"),
    ],
)
async def test_invalid_input_is_refused_with_422_naming_the_field(
    client: httpx.AsyncClient, body: dict[str, object], field: str
) -> None:
    response = await client.post("/register", json=body)

    assert response.status_code == 422
    detail = response.json()["detail"]
    assert isinstance(detail, str)
    assert detail.startswith(f"{field}: ")
    password = body.get("password")
    if isinstance(password, str):
        assert password not in response.text


def test_the_long_password_case_is_short_in_characters_but_long_in_bytes() -> None:
    assert len(LONG_UTF8_PASSWORD) < 72 < len(LONG_UTF8_PASSWORD.encode())


async def test_a_body_that_is_not_json_is_refused_with_422_saying_so(
    client: httpx.AsyncClient,
) -> None:
    raw = f'{{"username": "bob", "password": "{PASSWORD}"'.encode()  # unterminated object

    response = await client.post(
        "/register", content=raw, headers={"content-type": "application/json"}
    )

    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "JSON" in detail
    # The field part names the body, not the character offset the parser stopped at.
    assert detail.startswith("body: ")
    assert PASSWORD not in response.text


async def test_a_form_encoded_body_is_refused_with_415(client: httpx.AsyncClient) -> None:
    response = await client.post("/register", data={"username": "bob", "password": PASSWORD})

    assert response.status_code == 415
    assert response.json()["detail"] == (
        "send the body as JSON with Content-Type: application/json")
    assert PASSWORD not in response.text


async def test_a_cjk_username_registers_and_reads_back_intact(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    name = "玩家一号"

    registered = await register(client, name)
    logged_in = await login(client, name)

    assert registered.status_code == 201
    assert registered.json()["username"] == name
    assert logged_in.status_code == 200
    claims = jwt.decode(logged_in.json()["access_token"], settings.secret_key, ["HS256"])
    assert claims["name"] == name


async def test_a_username_of_four_byte_letters_registers_and_reads_back_intact(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    name = "𠀀𠀁𠀂"  # CJK Extension B: letters to \w, four bytes each in UTF-8
    assert len(name.encode()) == 12

    registered = await register(client, name)
    logged_in = await login(client, name)

    assert registered.status_code == 201
    assert registered.json()["username"] == name
    assert logged_in.status_code == 200
    claims = jwt.decode(logged_in.json()["access_token"], settings.secret_key, ["HS256"])
    assert claims["name"] == name


async def test_distinct_names_of_four_byte_letters_do_not_take_each_other(
    client: httpx.AsyncClient,
) -> None:
    assert (await register(client, "𠀀𠀁𠀂")).status_code == 201

    response = await register(client, "𠀃𠀄𠀅")

    assert response.status_code == 201, response.text


async def test_ten_concurrent_registrations_of_one_name_give_one_201_and_nine_409(
    client: httpx.AsyncClient,
) -> None:
    responses = await asyncio.gather(*(register(client, "racer") for _ in range(10)))

    statuses = Counter(response.status_code for response in responses)
    assert statuses == {201: 1, 409: 9}


async def test_a_password_with_a_nul_character_is_refused_with_422(
    client: httpx.AsyncClient
) -> None:
    for path in ("/register", "/login"):
        answer = await client.post(path, json={"username": "nul_user",
                                               "password": "abcdefgh\u0000xyz"})
        assert answer.status_code == 422
        assert answer.json()["detail"] == "password: must not contain NUL characters"
