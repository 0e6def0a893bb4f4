"""The page in a real browser against the real server: it loads, trains, draws and remembers."""
from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[2]
COMPILE_MS = 60_000  # a program the warm-up has not made yet compiles on first use (seconds); allow plenty

# A digest of a canvas's pixels and how many are neither transparent nor the background grey.
PIXELS = """selector => {
  const canvas = document.querySelector(selector);
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let hash = 2166136261, inked = 0;
  for (let i = 0; i < data.length; i += 4) {
    hash = Math.imul(hash ^ (data[i] + 3 * data[i + 1] + 7 * data[i + 2]), 16777619) >>> 0;
    const grey = Math.abs(data[i] - data[i + 1]) < 6 && Math.abs(data[i + 1] - data[i + 2]) < 6 && data[i] > 225;
    if (data[i + 3] > 0 && !grey) inked++;
  }
  return {hash, inked};
}"""


def open_page(page, query: str = ""):
    page.goto(f"{page.base_url}/{query}")
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    page.wait_for_function(f"({PIXELS})('#output').inked > 0")
    return page


def pixels(page, selector: str) -> dict:
    return page.evaluate(PIXELS, selector)


def epoch(page) -> int:
    return int(page.text_content("#epoch"))


def test_loads_without_console_errors(page, errors):
    open_page(page)
    expect(page.locator("#epoch")).to_have_text("0")
    expect(page.locator("[data-dataset=circle]")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#activation option")).not_to_have_count(0)
    assert errors == []


def test_play_trains_and_changes_the_output(page, errors):
    open_page(page)
    before = pixels(page, "#output")["hash"]
    page.click("#play")
    page.wait_for_function("Number(document.getElementById('epoch').textContent) > 20")
    page.click("#play")
    expect(page.locator("#play")).to_have_attribute("aria-pressed", "false")
    page.wait_for_function(f"({PIXELS})('#output').hash !== {before}")
    assert page.text_content("#train-loss") != "–"
    assert errors == []


def test_keyboard_steps_and_plays(page, errors):
    open_page(page)
    page.locator("body").press("ArrowRight")
    expect(page.locator("#epoch")).to_have_text("1")
    page.locator("body").press(" ")
    expect(page.locator("#play")).to_have_attribute("aria-pressed", "true")
    page.wait_for_function("Number(document.getElementById('epoch').textContent) > 5")
    page.locator("body").press(" ")
    expect(page.locator("#play")).to_have_attribute("aria-pressed", "false")
    assert errors == []


def test_space_plays_after_a_click_but_presses_a_tabbed_button(page, errors):
    open_page(page)
    page.click("[data-dataset=xor]")  # focus stays on the tile the pointer clicked
    page.keyboard.press(" ")
    expect(page.locator("#play")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press(" ")
    expect(page.locator("#play")).to_have_attribute("aria-pressed", "false")
    page.focus("#add-layer")
    page.keyboard.press("Shift+Tab")  # reached with the keyboard: space presses it
    expect(page.locator("#remove-layer")).to_be_focused()
    page.keyboard.press(" ")
    expect(page.locator("#hidden-count")).to_have_text("1 hidden layer")
    expect(page.locator("#play")).to_have_attribute("aria-pressed", "false")
    assert errors == []


def test_phone_width_has_no_sideways_scrolling(browser, server, errors):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  device_scale_factor=2)
    phone = context.new_page()
    phone.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    phone.base_url = server
    open_page(phone)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    # The default network fits its panel: no scrolling inside the diagram either.
    assert phone.evaluate("(() => { const c = document.querySelector('.columns'); return c.scrollWidth <= c.clientWidth; })()")
    phone.locator("#play").tap()
    expect(phone.locator("#play")).to_have_attribute("aria-pressed", "true")
    context.close()
    assert errors == []


def test_adding_a_layer_adds_neuron_thumbnails(page, errors):
    open_page(page)
    neurons = page.locator("canvas.neuron")
    expect(neurons).to_have_count(6)
    page.click("#add-layer")
    expect(neurons).to_have_count(8)
    assert "hidden_layers=4,2,2" in page.url
    page.wait_for_function(
        f"({PIXELS})('canvas.neuron[data-layer=\"2\"][data-index=\"1\"]').inked > 0",
        timeout=COMPILE_MS,
    )
    page.click("#remove-layer")
    expect(neurons).to_have_count(6)
    assert errors == []


def test_switching_to_xor_changes_the_data(page, errors):
    open_page(page)
    before = pixels(page, "#output")["hash"]
    page.click("[data-dataset=xor]")
    expect(page.locator("[data-dataset=xor]")).to_have_attribute("aria-pressed", "true")
    assert "dataset=xor" in page.url
    page.wait_for_function(f"({PIXELS})('#output').hash !== {before}")
    assert errors == []


def test_gradient_flow_and_layer_view_draw(page, errors):
    open_page(page)
    for _ in range(3):
        page.click("#step")
    expect(page.locator("#epoch")).to_have_text("3")
    page.wait_for_function(f"({PIXELS})('#gradient-flow').inked > 50")
    page.wait_for_function(f"({PIXELS})('#layer-view').inked > 50")
    page.select_option("#view-layer", "1")
    assert "view_layer=1" in page.url
    page.wait_for_function(f"({PIXELS})('#probe-chart').inked > 0")
    assert errors == []


def test_regression_shows_loss_only(page, errors):
    open_page(page, "?dataset=plane")
    expect(page.locator("#train-loss")).not_to_have_text("–")
    expect(page.locator("#train-accuracy")).to_be_hidden()
    assert errors == []


def test_reload_restores_the_url_state(page, errors):
    open_page(page)
    page.select_option("#learning-rate", "0.1")
    page.click("[data-dataset=spiral]")
    assert "learning_rate=0.1" in page.url and "dataset=spiral" in page.url
    page.reload()
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    expect(page.locator("#learning-rate")).to_have_value("0.1")
    expect(page.locator("[data-dataset=spiral]")).to_have_attribute("aria-pressed", "true")
    assert "learning_rate=0.1" in page.url and "dataset=spiral" in page.url
    assert errors == []


def test_screenshot_after_training(page, errors, tmp_path):
    """The page after 150 epochs, pictured; LAYERLAB_SCREENSHOT=1 makes it the README's docs/screenshot.png
    (otherwise a test run leaves the repository as it was)."""
    open_page(page)
    page.click("#play")
    page.wait_for_function("Number(document.getElementById('epoch').textContent) > 150", timeout=COMPILE_MS)
    page.click("#play")
    expect(page.locator("#play")).to_have_attribute("aria-pressed", "false")
    target = ROOT / "docs" / "screenshot.png" if os.environ.get("LAYERLAB_SCREENSHOT") else tmp_path / "page.png"
    page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 10_000  # a picture of the whole page, not a blank one
    assert errors == []


def test_clicking_the_map_makes_the_points_on_screen_ones_own(page, errors):
    open_page(page)
    page.click("#output", position={"x": 20, "y": 20})  # top left: x1 < 0, x2 > 0
    expect(page.locator("[data-dataset=custom]")).to_have_attribute("aria-pressed", "true")
    assert "dataset=custom" in page.url and "custom_points=" in page.url
    page.click("#clear-points")
    expect(page.locator("#clear-points")).to_be_visible()
    page.wait_for_function("new URLSearchParams(location.search).get('custom_points').split(';').length === 2")
    assert errors == []


def test_a_link_the_server_refuses_starts_from_the_defaults(page, errors):
    page.goto(f"{page.base_url}/?num_samples=5")  # below the engine's least
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    expect(page.locator("#message")).to_contain_text("refused")
    assert "num_samples" not in page.url
    assert [e for e in errors if "status of 422" not in e] == []  # the browser logs the refusal itself


def test_a_client_over_its_share_of_sessions_is_told_so(page, server, errors):
    """This test's address holds its whole share of sessions (made here through the API): the page says why
    it has no session rather than only showing that it is offline; once one ends, it gets its own."""
    made = []
    try:
        while (reply := page.request.post(f"{server}/api/sessions", data={})).status == 201:
            made.append(reply.json()["id"])
        assert reply.status == 429
        page.goto(f"{server}/")
        expect(page.locator("#message")).to_contain_text("max_sessions_per_client")
        page.request.delete(f"{server}/api/sessions/{made.pop()}")
        expect(page.locator("#connection")).to_have_attribute("data-state", "live", timeout=30_000)
    finally:
        for session in made:
            page.request.delete(f"{server}/api/sessions/{session}")
    assert [e for e in errors if "429" not in e] == []  # the refused request is logged by the browser
