"""While a change waits for its first frame (a program not yet compiled), the page says so, then shows the network."""
from __future__ import annotations

from playwright.sync_api import expect

COMPILE_MS = 90_000  # a program the server has not compiled yet takes seconds on first use


def test_a_new_depth_shows_preparing_until_its_frame_arrives(page, errors):
    page.goto(f"{page.base_url}/")
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    expect(page.locator("canvas.neuron")).to_have_count(6)
    expect(page.locator("#preparing")).to_be_hidden()
    for _ in range(3):  # five hidden layers: a depth no other browser test uses
        page.click("#add-layer")
    expect(page.locator("canvas.neuron")).to_have_count(12)
    # The note may never show when the compilation cache is warm; it must be gone once the frame came,
    # and that frame draws the new layers' thumbnails.
    expect(page.locator("#preparing")).to_be_hidden(timeout=COMPILE_MS)
    page.wait_for_function(
        """() => {
          const c = document.querySelector('canvas.neuron[data-layer="4"][data-index="1"]');
          return c.getContext('2d').getImageData(0, 0, c.width, c.height).data.some((v, i) => i % 4 === 3 && v > 0);
        }""",
        timeout=COMPILE_MS,
    )
    expect(page.locator("#preparing")).to_be_hidden()
    assert errors == []


def test_preparing_shows_while_frames_are_held_back(page, errors, held_stream):
    """Frames held back by the test stand in for a slow compilation: the note shows, then goes."""
    page.goto(f"{page.base_url}/")
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    expect(page.locator("#preparing")).to_be_hidden()
    held_stream.hold()
    page.click("#add-layer")
    expect(page.locator("#preparing")).to_be_visible()
    expect(page.locator("#preparing")).to_contain_text("Preparing")
    held_stream.release()
    expect(page.locator("#preparing")).to_be_hidden(timeout=COMPILE_MS)
    expect(page.locator("canvas.neuron")).to_have_count(8)
    assert errors == []
