"""The ConvNet lab's page in a real browser against the real server: it loads from the playground, trains,
draws every layer, shows receptive fields, takes a drawing, follows a mistake, changes its network, remembers
its state, fits a phone, and sets an MLP's translation curve beside its own."""
from __future__ import annotations

import json
import time

import numpy as np
from playwright.sync_api import expect

COMPILE_MS = 90_000  # a network shape the warm-up has not compiled compiles on first use (seconds)
SHOWS_PER_S = 20  # drawings the pad sends a second at most
PHONE_WIDTH = 375  # px, the narrowest phone the lab is laid out for

# A digest of a canvas's pixels and how many are inked (neither transparent nor near-white); none before it exists.
PIXELS = """selector => {
  const canvas = document.querySelector(selector);
  if (!canvas) return {hash: 0, inked: 0};  // not drawn yet: the page makes it on the first images message
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let hash = 2166136261, inked = 0;
  for (let i = 0; i < data.length; i += 4) {
    hash = Math.imul(hash ^ (data[i] + 3 * data[i + 1] + 7 * data[i + 2]), 16777619) >>> 0;
    if (data[i + 3] > 0 && data[i] + data[i + 1] + data[i + 2] < 690) inked++;
  }
  return {hash, inked};
}"""

# The highlighted receptive field: its data and its box as a fraction of the input image's box.
FIELD = """() => {
  const field = document.getElementById('field'), image = document.getElementById('input-image');
  const f = field.getBoundingClientRect(), i = image.getBoundingClientRect();
  const inner = {left: i.left + image.clientLeft, top: i.top + image.clientTop, width: image.clientWidth, height: image.clientHeight};
  return {hidden: field.hidden, data: {...field.dataset}, side: image.width,
          box: [(f.top - inner.top) / inner.height, (f.left - inner.left) / inner.width,
                (f.bottom - inner.top) / inner.height, (f.right - inner.left) / inner.width]};
}"""


class Lab:
    """The lab's page and what it tells the server: its session id and the messages it sent."""

    def __init__(self, page):
        self.page = page
        self.sent: list[dict] = []
        self.socket_url: str | None = None
        page.on("websocket", self._watch)

    def _watch(self, ws) -> None:
        if "/api/convnet/" not in ws.url:
            return
        self.socket_url = ws.url
        ws.on("framesent", lambda payload: self.sent.append(json.loads(payload)) if isinstance(payload, str) else None)

    def open(self, query: str = ""):
        self.page.goto(f"{self.page.base_url}/convnet.html{query}")
        return self.live()

    def live(self):
        expect(self.page.locator("#connection")).to_have_attribute("data-state", "live", timeout=COMPILE_MS)
        self.page.wait_for_function(f"({PIXELS})('#input-image').inked > 0", timeout=COMPILE_MS)
        return self

    @property
    def session_id(self) -> str:
        assert self.socket_url is not None
        return self.socket_url.split("/sessions/")[1].split("/")[0]

    def session(self) -> dict:
        reply = self.page.request.get(f"{self.page.base_url}/api/convnet/sessions/{self.session_id}")
        assert reply.ok
        return reply.json()

    def pixels(self, selector: str) -> dict:
        return self.page.evaluate(PIXELS, selector)

    def step(self) -> int:
        return int(self.page.text_content("#status-step"))

    def train(self, steps: int) -> None:
        """Play until the page shows at least `steps` mini-batches, then pause."""
        self.page.click("#play")
        self.page.wait_for_function(f"Number(document.getElementById('status-step').textContent) >= {steps}",
                                    timeout=COMPILE_MS)
        self.page.click("#play")
        expect(self.page.locator("#play")).to_have_attribute("aria-pressed", "false")

    def strip(self) -> list[tuple[str, int | None]]:
        return [tuple(box) for box in self.page.eval_on_selector_all(
            "#strip > li", "items => items.map(i => [i.dataset.kind, i.dataset.parameters ? Number(i.dataset.parameters) : null])")]


def test_the_lab_opens_from_the_playgrounds_link_and_links_back(page, errors):
    page.goto(f"{page.base_url}/")
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    lab = Lab(page)
    page.click("nav.labs >> text=ConvNet lab")
    page.wait_for_url("**/convnet.html")
    lab.live()
    expect(page.locator("nav.labs a[aria-current=page]")).to_have_text("ConvNet lab")
    expect(page.locator("#strip > li")).to_have_count(5)  # input, two convolutions, dense, output
    assert [kind for kind, _ in lab.strip()] == ["input", "conv", "conv", "dense", "output"]
    assert [n for _, n in lab.strip()][1:] == [layer["parameters"] for layer in lab.session()["layers"]]
    expect(page.locator("#dataset option")).to_have_count(2)
    page.click("nav.labs >> text=Playground")
    page.wait_for_url(f"{page.base_url}/")
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    assert errors == []


def test_training_changes_the_filters_maps_and_charts(page, errors):
    lab = Lab(page).open()
    selectors = ['canvas.filter[data-layer="0"][data-filter="0"]', 'canvas.filter[data-layer="1"][data-filter="3"]',
                 'canvas[data-kind="maps"][data-layer="0"][data-filter="0"]',
                 'canvas[data-kind="pooled"][data-layer="1"][data-filter="1"]', "#confusion"]
    before = {s: lab.pixels(s)["hash"] for s in selectors}
    lab.train(40)
    for selector in selectors:
        page.wait_for_function(f"({PIXELS})('{selector}').hash !== {before[selector]}")
    for chart in ("#loss-chart", "#accuracy-chart", "#gradient-flow", "#gradient-bars", "#probabilities"):
        page.wait_for_function(f"({PIXELS})('{chart}').inked > 30")
    assert float(page.text_content("#status-epoch")) > 0
    assert page.text_content("#train-loss") != "–"
    assert page.text_content("#test-accuracy").endswith("%")
    assert errors == []


def test_a_filter_is_drawn_from_its_weights(page, errors):
    """The first filter's picture is the server's weights in the page's palette, scaled by the layer's largest."""
    lab = Lab(page).open()
    lab.train(10)
    snapshot = page.request.get(f"{page.base_url}/api/convnet/sessions/{lab.session_id}/snapshot").json()
    assert snapshot["step"] == lab.step()
    weights = np.asarray(snapshot["filters"][0], np.float32)  # (kernel, kernel, 1, filters)
    palette = np.asarray(page.evaluate("async () => Array.from((await import('/js/heatmap.js')).SMOOTH)"), np.uint8).reshape(-1, 4)
    page.wait_for_function(f"document.getElementById('status-step').textContent === '{snapshot['step']}'")
    shown = np.asarray(page.evaluate("""() => {
      const c = document.querySelector('canvas.filter[data-layer="0"][data-filter="0"]');
      return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);
    }"""), np.uint8).reshape(weights.shape[0], weights.shape[1], 4)
    levels = np.rint((np.clip(weights[:, :, 0, 0] / np.abs(weights).max(), -1, 1) + 1) * 127.5).astype(int)
    assert np.abs(shown.astype(int) - palette[levels].astype(int)).max() <= 2
    assert errors == []


def test_hovering_a_unit_highlights_its_receptive_field_and_filter(page, errors):
    lab = Lab(page).open()
    fields = lab.session()["receptive_fields"]
    for layer, table, row, col, filter_ in [(1, "maps", 2, 1, 5), (0, "pooled", 3, 0, 2), (1, "pooled", 0, 1, 7)]:
        unit = page.locator(f'canvas[data-kind="{table}"][data-layer="{layer}"][data-filter="{filter_}"]')
        side = unit.evaluate("c => c.width")
        box = unit.bounding_box()
        unit.hover(position={"x": (col + 0.5) / side * box["width"], "y": (row + 0.5) / side * box["height"]})
        expected = fields[layer][table][row][col]  # [top, left, bottom, right), input pixels
        page.wait_for_function(
            f"document.getElementById('field').dataset.row === '{row}' && document.getElementById('field').dataset.col === '{col}'"
            f" && document.getElementById('field').dataset.table === '{table}'")
        shown = page.evaluate(FIELD)
        assert not shown["hidden"]
        assert [int(shown["data"][k]) for k in ("top", "left", "bottom", "right")] == expected
        assert np.allclose(shown["box"], np.asarray(expected) / shown["side"], atol=0.02), (shown, expected)
        expect(page.locator(f'canvas.filter[data-layer="{layer}"][data-filter="{filter_}"]')).to_have_class("filter hot")
        expect(page.locator("canvas.filter.hot")).to_have_count(1)
    page.mouse.move(0, 0)
    expect(page.locator("#field")).to_be_hidden()
    assert errors == []


def test_hovering_a_filter_slides_it_over_its_map(page, errors):
    lab = Lab(page).open()
    fields = lab.session()["receptive_fields"]
    page.hover('canvas.filter[data-layer="0"][data-filter="2"]')
    expect(page.locator('.picture:has(> canvas[data-kind="maps"][data-layer="0"][data-filter="2"])')).to_have_class("picture sliding")
    seen = set()
    for _ in range(4):  # the field walks through the map's positions, each the table's field of that unit
        page.wait_for_function(
            "seen => !seen.includes(`${document.getElementById('field').dataset.row},${document.getElementById('field').dataset.col}`)",
            arg=sorted(seen))
        shown = page.evaluate(FIELD)
        row, col = int(shown["data"]["row"]), int(shown["data"]["col"])
        assert shown["data"]["table"] == "maps" and shown["data"]["filter"] == "2"
        assert [int(shown["data"][k]) for k in ("top", "left", "bottom", "right")] == fields[0]["maps"][row][col]
        seen.add(f"{row},{col}")
    assert len(seen) == 4
    expect(page.locator('canvas.filter[data-layer="0"][data-filter="2"]')).to_have_class("filter hot")
    assert errors == []


def test_drawing_a_digit_shows_a_prediction_as_it_is_drawn(page, errors):
    lab = Lab(page).open()
    lab.train(60)
    seen_before = lab.pixels("#pad-seen")["hash"]
    box = page.locator("#pad").bounding_box()
    x, top, bottom = box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.15, box["y"] + box["height"] * 0.85
    page.mouse.move(x, top)
    started = time.monotonic()
    page.mouse.down()
    moves = 40
    for k in range(1, moves + 1):  # a one: a vertical stroke down the middle
        page.mouse.move(x, top + (bottom - top) * k / moves)
    page.mouse.up()
    stroke_s = time.monotonic() - started
    expect(page.locator("#followed")).to_contain_text("Your drawing")
    expect(page.locator("#prediction")).to_contain_text("It says")
    page.wait_for_function("""() => document.getElementById('pad-prediction').textContent
      === document.getElementById('prediction').textContent""")  # beside the pad too (read in one frame)
    page.wait_for_function(f"({PIXELS})('#pad-seen').hash !== {seen_before}")
    drawings = [m["drawing"] for m in lab.sent if m.get("type") == "show" and "drawing" in m]
    assert 1 <= len(drawings) <= min(moves, stroke_s * SHOWS_PER_S + 2)  # throttled, not one a pointer move
    assert len(drawings[-1]) == 32 and all(len(r) == 32 for r in drawings[-1])
    assert max(max(r) for r in drawings[-1]) <= 1 and sum(map(sum, drawings[-1])) > 10
    # The frames keep following the drawing while the network trains.
    lab.train(lab.step() + 20)
    expect(page.locator("#followed")).to_contain_text("Your drawing")
    page.click("#clear-pad")
    expect(page.locator("#followed")).to_contain_text("Test image 0")
    assert errors == []


def test_clicking_a_wrong_test_image_follows_it(page, errors):
    lab = Lab(page).open()
    lab.train(5)
    mistakes = page.locator("#mistakes button.mistake:visible")
    expect(mistakes.first).to_be_visible()
    index = mistakes.nth(min(2, mistakes.count() - 1)).get_attribute("data-index")
    chosen = page.locator(f'#mistakes button[data-index="{index}"]')  # the same image, whatever a late frame reorders
    truth = chosen.text_content().split(" → ")[0]
    chosen.click()
    expect(page.locator("#followed")).to_have_text(f"Test image {index}: a {truth}")
    expect(page.locator(f'#mistakes button[data-index="{index}"]')).to_have_attribute("aria-pressed", "true")
    assert f"follow={index}" in page.url
    assert {"type": "show", "test_index": int(index)} in lab.sent
    assert errors == []


def test_zero_convolutional_layers_redraw_the_strip(page, errors):
    lab = Lab(page).open()
    page.click("#preset-mlp")
    expect(page.locator("#strip > li")).to_have_count(3, timeout=COMPILE_MS)  # input, dense, output
    assert lab.strip() == [("input", None), ("dense", 64 * 32 + 32), ("output", 32 * 10 + 10)]
    expect(page.locator("#parameter-total")).to_have_attribute("data-parameters", str(64 * 32 + 32 + 330))
    expect(page.locator(".conv-stage")).to_have_count(0)
    expect(page.locator("#preset-mlp")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#compare")).to_be_hidden()  # an MLP already
    assert "conv_layers=&" in page.url or page.url.endswith("conv_layers=")
    page.click("#add-conv")  # one convolution of the default's first layer: 8 filters 3 × 3, max pooling
    expect(page.locator("#strip > li")).to_have_count(4, timeout=COMPILE_MS)
    assert lab.strip() == [("input", None), ("conv", 8 * 9 + 8), ("dense", 4 * 4 * 8 * 32 + 32), ("output", 330)]
    assert [layer["parameters"] for layer in lab.session()["layers"]] == [n for _, n in lab.strip()[1:]]
    expect(page.locator('canvas[data-kind="maps"][data-layer="0"]')).to_have_count(8)
    assert errors == []


def test_the_url_restores_the_state_on_reload(page, errors):
    lab = Lab(page).open()
    page.select_option("#learning-rate", "0.001")
    page.select_option("#steps-per-frame", "16")
    page.select_option('#conv-layers li[data-layer="1"] label:has-text("pooling") select', "average")
    page.fill('#dense-layers li[data-layer="0"] input', "24")
    page.press('#dense-layers li[data-layer="0"] input', "Enter")
    page.fill("#seed", "7")
    page.press("#seed", "Enter")
    for part in ("learning_rate=0.001", "steps_per_frame=16", "conv_layers=8-3-max,16-3-average", "dense_layers=24", "seed=7"):
        page.wait_for_function(f"location.search.includes('{part}')")
    page.reload()
    lab.live()
    expect(page.locator("#learning-rate")).to_have_value("0.001")
    expect(page.locator("#steps-per-frame")).to_have_value("16")
    expect(page.locator('#conv-layers li[data-layer="1"] label:has-text("pooling") select')).to_have_value("average")
    expect(page.locator('#dense-layers li[data-layer="0"] input')).to_have_value("24")
    expect(page.locator("#seed")).to_have_value("7")
    config = lab.session()["config"]
    assert config["learning_rate"] == 0.001 and config["seed"] == 7 and config["dense_layers"] == [24]
    assert config["conv_layers"][1]["pooling"] == "average"
    assert {"type": "speed", "steps_per_frame": 16} in lab.sent
    assert errors == []


def test_a_phone_has_no_sideways_scrolling_and_a_tap_shows_a_field(browser, server, errors):
    context = browser.new_context(viewport={"width": PHONE_WIDTH, "height": 812}, is_mobile=True, has_touch=True,
                                  device_scale_factor=2)
    phone = context.new_page()
    phone.on("console", lambda message: errors.append(f"console: {message.text}") if message.type == "error" else None)
    phone.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    phone.base_url = server
    Lab(phone).open()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
    phone.locator("#play").tap()
    phone.wait_for_function("Number(document.getElementById('status-step').textContent) > 10")
    phone.locator("#play").tap()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
    unit = phone.locator('canvas[data-kind="maps"][data-layer="0"][data-filter="1"]')
    unit.scroll_into_view_if_needed()
    unit.tap(position={"x": 2, "y": 2})
    expect(phone.locator("#field")).to_be_visible()
    assert phone.evaluate("document.getElementById('field').dataset.row") == "0"
    phone.locator("#settings-toggle").tap()
    expect(phone.locator("#learning-rate")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
    lab_page = phone
    lab_page.locator("#preset-mlp").tap()
    expect(lab_page.locator("#strip > li")).to_have_count(3, timeout=COMPILE_MS)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
    context.close()
    assert errors == []


def test_the_translation_curve_and_an_mlp_beside_it(page, errors):
    lab = Lab(page).open()
    requests: list[tuple[str, str, int | str | None]] = []  # method, URL, then a POST's body, another's status
    page.on("requestfinished", lambda r: requests.append(
        (r.method, r.url, r.post_data if r.method == "POST" else r.response().status)))
    lab.train(30)
    page.locator("#translation").scroll_into_view_if_needed()  # measured only while on screen
    expect(page.locator('#translation-table tr[data-curve="convnet"] td')).to_have_count(4)
    page.click("#compare")
    expect(page.locator('#translation-table tr[data-curve="mlp"] td')).to_have_count(4, timeout=COMPILE_MS)
    expect(page.locator("#compare")).to_be_enabled()
    made = [body for method, url, body in requests if method == "POST" and url.endswith("/api/convnet/sessions")]
    assert len(made) == 1
    mlp_config = json.loads(made[0])
    assert mlp_config["conv_layers"] == [] and mlp_config["dense_layers"] == lab.session()["mlp_dense_layers"]
    trained = [url for method, url, _ in requests if method == "POST" and url.endswith("/train")]
    mlp = trained[0].split("/sessions/")[1].split("/")[0]
    assert mlp != lab.session_id
    assert page.request.get(f"{page.base_url}/api/convnet/sessions/{mlp}").status == 404  # deleted
    assert ("DELETE", f"{page.base_url}/api/convnet/sessions/{mlp}", 204) in requests
    text = page.text_content('#translation-table tr[data-curve="mlp"]')
    (units,) = mlp_config["dense_layers"]
    parameters = (64 + 1) * units + (units + 1) * 10
    assert text.startswith(f"MLP of {parameters:,} parameters") and text.count("%") == 4
    assert errors == []


# Every stage's probe, as the page shows it: {name: percent}.
PROBES = """() => Object.fromEntries([...document.querySelectorAll('.view-stage')]
  .map(f => [f.dataset.stage, parseFloat(f.querySelector('.probe').textContent)]))"""


def test_the_layer_view_shows_every_stage_measured_while_on_screen(page, errors):
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if r.url.endswith("/layer-view") else None)
    lab = Lab(page).open()
    lab.train(5)
    assert asked == []  # off screen: not measured (each costs the server tens of milliseconds)
    page.locator("#view-stages").scroll_into_view_if_needed()
    names = ["pixels", "conv 1", "conv 2", "dense 1"]
    page.wait_for_function(f"Object.keys(({PROBES})()).join() === {json.dumps(','.join(names))}", timeout=COMPILE_MS)
    untrained = page.evaluate(PROBES)
    assert all(0 < p <= 100 for p in untrained.values()), untrained
    dots = page.evaluate("""() => [...document.querySelectorAll('.view-plot')].map(c => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; })""")
    assert len(dots) == 4 and min(dots) > 100  # hundreds of test images' dots on each
    expect(page.locator("#view-legend span")).to_have_count(10)
    lab.train(60)
    page.locator("#view-stages").scroll_into_view_if_needed()  # back on screen: the paused network is measured
    page.wait_for_function(f"({PROBES})()['dense 1'] > {untrained['dense 1']}", timeout=COMPILE_MS)
    assert page.evaluate(PROBES)["pixels"] == untrained["pixels"]  # the pixels do not learn
    assert errors == []


def test_preparing_shows_while_frames_are_held_back(page, errors, held_stream):
    """Frames held back by the test stand in for a slow compilation: the note shows, then goes."""
    Lab(page).open()
    expect(page.locator("#preparing")).to_be_hidden()
    held_stream.hold()
    page.click('#conv-layers li[data-layer="1"] .remove')
    expect(page.locator("#preparing")).to_be_visible()
    expect(page.locator("#preparing")).to_contain_text("Preparing")
    held_stream.release()
    expect(page.locator("#preparing")).to_be_hidden(timeout=COMPILE_MS)
    expect(page.locator("#strip > li")).to_have_count(4)
    assert errors == []
