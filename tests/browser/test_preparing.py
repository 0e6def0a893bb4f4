"""While a change waits for its first frame (a new depth compiles), the page says so, then shows the network."""
from __future__ import annotations

from playwright.sync_api import expect

COMPILE_MS = 90_000  # a depth the server has not compiled yet takes about 10-30 s on first use


def test_a_new_depth_shows_preparing_until_its_frame_arrives(page, errors):
    page.goto(f"{page.base_url}/")
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    expect(page.locator("canvas.neuron")).to_have_count(6)
    expect(page.locator("#preparing")).to_be_hidden()
    for _ in range(3):  # five hidden layers: a depth no other browser test compiles
        page.click("#add-layer")
    # Either the note is showing, or the new network's frame already came (a warm compilation cache).
    page.wait_for_function(
        "!document.getElementById('preparing').hidden || document.querySelectorAll('canvas.neuron').length === 12"
    )
    expect(page.locator("#preparing")).to_be_hidden(timeout=COMPILE_MS)
    expect(page.locator("canvas.neuron")).to_have_count(12)
    assert errors == []
