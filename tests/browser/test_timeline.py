"""Looking back through a run in a real browser: the timeline shows earlier epochs, continues from one, and a
reload keeps the run and its charts."""
from __future__ import annotations

import json
import struct

from playwright.sync_api import expect

from .test_page import PIXELS, epoch, open_page, pixels


def steps(page, count: int) -> None:
    """Train `count` epochs one at a time and wait for the last one's frame."""
    start = epoch(page)
    for _ in range(count):
        page.click("#step")
    expect(page.locator("#epoch")).to_have_text(str(start + count))


def output_hash(page) -> int:
    return pixels(page, "#output")["hash"]


def wait_for_output(page, digest: int) -> None:
    page.wait_for_function(f"({PIXELS})('#output').hash === {digest}")


def chart_epochs(page) -> tuple[str, str]:
    chart = page.locator("#loss-chart")
    return chart.get_attribute("data-first-epoch"), chart.get_attribute("data-last-epoch")


def test_the_timeline_shows_an_earlier_epoch_and_continues_from_it(page, errors):
    open_page(page)
    steps(page, 3)
    at_three = output_hash(page)
    steps(page, 3)
    at_six = output_hash(page)
    assert at_six != at_three
    expect(page.locator("#timeline")).to_have_attribute("max", "6")

    page.locator("#timeline").fill("3")  # as a drag leaves it
    expect(page.locator("#epoch")).to_have_text("3")
    wait_for_output(page, at_three)  # the output map as it was at epoch 3
    expect(page.locator("#looking-back")).to_be_visible()
    expect(page.locator("#timeline-shown")).to_have_text("epoch 3 of 6")
    expect(page.locator("body")).to_have_class("looking-back")
    assert chart_epochs(page) == ("0", "6")  # the charts keep the whole run, marking epoch 3

    page.click("#continue-here")
    expect(page.locator("#looking-back")).to_be_hidden()
    expect(page.locator("#epoch")).to_have_text("3")
    expect(page.locator("#loss-chart")).to_have_attribute("data-last-epoch", "3")
    expect(page.locator("#timeline")).to_have_attribute("max", "3")
    expect(page.locator("#timeline")).to_be_focused()  # the button went; focus stays on the timeline
    steps(page, 3)
    wait_for_output(page, at_six)  # trained on from epoch 3 as it was: the same epoch 6, bit for bit
    page.click("#play")
    page.wait_for_function("Number(document.getElementById('epoch').textContent) > 10")
    page.click("#play")
    expect(page.locator("#loss-chart")).to_have_attribute("data-first-epoch", "0")
    assert errors == []


def test_the_timeline_answers_the_keys_and_back_to_now(page, errors):
    open_page(page)
    steps(page, 4)
    now = output_hash(page)
    timeline = page.locator("#timeline")
    timeline.focus()
    page.keyboard.press("ArrowLeft")  # on the slider the arrows look back rather than train
    expect(page.locator("#epoch")).to_have_text("3")
    page.keyboard.press("Home")
    expect(page.locator("#epoch")).to_have_text("0")
    expect(timeline).to_have_attribute("aria-valuetext", "epoch 0 of 4")
    page.click("#back-to-now")
    expect(page.locator("#epoch")).to_have_text("4")
    expect(page.locator("#looking-back")).to_be_hidden()
    wait_for_output(page, now)
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#epoch")).to_have_text("3")
    page.click("#play")  # playing while looking back plays on from now
    expect(page.locator("#looking-back")).to_be_hidden()
    page.wait_for_function("Number(document.getElementById('epoch').textContent) > 6")
    page.click("#play")
    assert errors == []


def _frame_meta(message: bytes) -> dict:
    """The metadata of a binary stream message (docs/protocol.md), each value parsed."""
    (length,) = struct.unpack("<Q", message[:8])
    header = json.loads(message[8:8 + length])
    return {key: json.loads(value) for key, value in header.get("__metadata__", {}).items()}


def test_a_quick_drag_has_one_seek_outstanding_and_ends_where_it_stops(page, errors):
    """The page's stream through a relay that counts the seeks asked and not yet answered with a frame."""
    seen = {"outstanding": 0, "most": 0, "seeks": 0}

    def route(ws) -> None:
        server = ws.connect_to_server()

        def to_server(message) -> None:
            if isinstance(message, str) and json.loads(message).get("type") == "seek":
                seen["seeks"] += 1
                seen["outstanding"] += 1
                seen["most"] = max(seen["most"], seen["outstanding"])
            server.send(message)

        def to_page(message) -> None:
            if isinstance(message, bytes) and _frame_meta(message).get("kind") == "frame":
                seen["outstanding"] = 0
            ws.send(message)

        ws.on_message(to_server)
        server.on_message(to_page)

    page.route_web_socket("**/stream", route)
    open_page(page)
    steps(page, 20)
    page.locator("#timeline").focus()
    for _ in range(15):
        page.keyboard.press("ArrowLeft")
    expect(page.locator("#epoch")).to_have_text("5")  # the last wish is the one shown
    expect(page.locator("#timeline-shown")).to_have_text("epoch 5 of 20")
    assert seen["most"] == 1 and 1 <= seen["seeks"] <= 15
    assert errors == []


def test_a_reload_keeps_the_run_and_its_charts(page, errors):
    open_page(page)
    steps(page, 5)
    before = output_hash(page)
    assert chart_epochs(page) == ("0", "5")
    page.reload()
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    expect(page.locator("#epoch")).to_have_text("5")
    expect(page.locator("#loss-chart")).to_have_attribute("data-first-epoch", "0")
    expect(page.locator("#loss-chart")).to_have_attribute("data-last-epoch", "5")
    expect(page.locator("#timeline")).to_have_attribute("max", "5")
    wait_for_output(page, before)
    steps(page, 2)
    assert chart_epochs(page) == ("0", "7")
    assert errors == []


def test_a_reload_with_other_settings_in_the_address_changes_the_kept_run(page, errors):
    """The address holds the settings: a kept run takes those that differ (the learning rate keeps the weights)."""
    open_page(page)
    steps(page, 3)
    page.goto(f"{page.base_url}/?learning_rate=0.3")
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    expect(page.locator("#learning-rate")).to_have_value("0.3")
    expect(page.locator("#epoch")).to_have_text("3")  # the same run, trained on with the new rate
    steps(page, 1)  # the stream carries commands in order: the change went before this step
    session = page.evaluate("sessionStorage.getItem('layerlab.playground.session')")
    assert page.request.get(f"{page.base_url}/api/sessions/{session}").json()["config"]["learning_rate"] == 0.3
    assert errors == []


def test_the_timeline_fits_a_phone(phone, errors):
    width = phone.viewport_size["width"]
    open_page(phone)
    steps(phone, 3)
    phone.locator("#timeline").fill("1")
    expect(phone.locator("#epoch")).to_have_text("1")
    for button in ("#continue-here", "#back-to-now"):
        box = phone.locator(button).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width
    assert phone.evaluate("document.documentElement.scrollWidth") <= width
    phone.locator("#back-to-now").tap()
    expect(phone.locator("#epoch")).to_have_text("3")
    assert errors == []
