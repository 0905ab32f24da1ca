"""The browser client in headless Chromium: two players in one room see each other move."""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, async_playwright

from tests.system.harness import System

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
README_SHOT = Path(__file__).resolve().parents[2] / "docs" / "two-players.png"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


async def join_as(page: Page, system: System, name: str, room: str) -> int:
    await page.goto(f"{system.auth_url}/play/")
    await page.fill("#username", name)
    await page.fill("#password", "correct horse")
    await page.fill("#room", room)
    await page.click("button[value=register]")
    await page.wait_for_function("window.roomsView.me !== null && "
                                 "window.roomsView.players.has(window.roomsView.me)")
    me: int = await page.evaluate("window.roomsView.me")
    return me


async def pixel(page: Page, x: float, y: float) -> list[int]:
    """The colour the canvas shows at a world position."""
    rgba: list[int] = await page.evaluate(
        """([x, y]) => {
             const canvas = document.getElementById('world');
             const sx = canvas.width / 2 + x, sy = canvas.height / 2 + y;
             return Array.from(canvas.getContext('2d').getImageData(sx, sy, 1, 1).data);
           }""", [x, y])
    return rgba


def hex_rgb(color: str) -> list[int]:
    return [int(color[i:i + 2], 16) for i in (1, 3, 5)]


async def test_a_dot_moved_with_the_keyboard_is_drawn_where_it_went_on_the_other_page(
    system: System, tmp_path: Path
) -> None:
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"Chromium is not installed at {CHROMIUM}; .ci/run installs it")
    room = f"browser-{secrets.token_hex(3)}"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        viewport = {"width": 1160, "height": 660}
        first = await (await browser.new_context(viewport=viewport)).new_page()
        second = await (await browser.new_context(viewport=viewport)).new_page()
        errors: list[Any] = []
        for page in (first, second):
            page.on("pageerror", lambda error: errors.append(error))

        mover = await join_as(first, system, f"mover_{secrets.token_hex(2)}", room)
        watcher = await join_as(second, system, f"watcher_{secrets.token_hex(2)}", room)
        await first.wait_for_function(f"window.roomsView.players.has({watcher})")

        await first.focus("#world")
        for _ in range(3):
            await first.keyboard.press("ArrowRight")
            await first.wait_for_timeout(60)
        await first.keyboard.press("KeyS")
        await second.wait_for_function(
            f"(() => {{ const p = window.roomsView.players.get({mover});"
            f" return p && p.x === 30 && p.y === 10; }})()")

        color: str = await second.evaluate(f"window.roomsView.players.get({mover}).color")
        assert (await pixel(second, 30, 10))[:3] == hex_rgb(color)
        assert (await pixel(second, 0, 0))[:3] != hex_rgb(color)  # it left the origin
        assert "open" in (await second.inner_text("#status"))
        assert "joined" in (await first.inner_text("#log"))

        await second.screenshot(path=str(tmp_path / "two-players.png"))
        if os.environ.get("UPDATE_SCREENSHOT"):  # refreshes the picture in the README
            await second.wait_for_timeout(2500)  # a ping round trip shows in the header
            await second.screenshot(path=str(README_SHOT))
        await browser.close()
    assert errors == []
