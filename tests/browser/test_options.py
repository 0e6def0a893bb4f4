"""The page draws and bounds what the engine declares, read from the server: no copies of its own."""
from __future__ import annotations

import numpy as np
from playwright.sync_api import expect

from backend.api.encoding import quantise
from backend.engine import previews
from backend.engine.config import BOUNDS

# A canvas's pixels as (width, flat RGBA), and the page's own palette from U8 value to RGBA.
CANVAS = """selector => {
  const c = document.querySelector(selector);
  return [c.width, Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data)];
}"""
PALETTE = "async () => Array.from((await import('/js/heatmap.js')).SMOOTH)"


COMPILE_MS = 60_000  # the widest network's programs compile on first use


def live(page, query: str = ""):
    page.goto(f"{page.base_url}/{query}")
    expect(page.locator("#connection")).to_have_attribute("data-state", "live", timeout=COMPILE_MS)
    return page


def pixels(page, selector: str) -> tuple[int, np.ndarray]:
    width, data = page.evaluate(CANVAS, selector)
    return width, np.asarray(data, np.uint8).reshape(-1, 4)


def test_feature_and_dataset_pictures_are_the_engines_previews(page, errors):
    live(page)
    palette = np.asarray(page.evaluate(PALETTE), np.uint8).reshape(-1, 4)
    pictures = {f"[data-feature={name}] canvas": values for name, values in previews.feature_maps().items()}
    pictures |= {f"[data-dataset={name}] canvas": values for name, values in previews.dataset_maps().items()}
    for selector, values in pictures.items():
        width, shown = pixels(page, selector)
        if values is None:  # nothing to preview: the tile stays blank
            assert not shown[:, 3].any(), selector
            continue
        assert width == previews.CELLS, selector
        np.testing.assert_array_equal(shown, palette[quantise(values).ravel()], err_msg=selector)
    assert errors == []


def test_fields_take_the_engines_bounds(page, errors):
    live(page)
    seed, scale = BOUNDS["seed"], BOUNDS["init_scale"]
    expect(page.locator("#seed")).to_have_attribute("max", str(seed["maximum"]))
    expect(page.locator("#seed")).to_have_attribute("min", str(seed["minimum"]))
    expect(page.locator("#init-scale")).to_have_attribute("max", str(scale["maximum"]))
    for field, scaled in [("noise", 1), ("num-samples", 1), ("batch-size", 1), ("train-fraction", 100)]:
        bound = BOUNDS[field.replace("-", "_")]
        slider = page.locator(f"#{field}")
        assert float(slider.get_attribute("min")) == bound["minimum"] * scaled
        assert float(slider.get_attribute("max")) == bound["maximum"] * scaled

    page.fill("#seed", str(seed["maximum"] + 1))
    page.locator("#seed").dispatch_event("change")
    assert "seed=" not in page.url and page.evaluate("document.getElementById('seed').validationMessage")
    page.fill("#seed", str(seed["maximum"]))
    page.locator("#seed").dispatch_event("change")
    assert f"seed={seed['maximum']}" in page.url

    page.fill("#init-scale", str(scale["exclusiveMinimum"]))  # the lowest scale is not itself allowed
    page.locator("#init-scale").dispatch_event("change")
    assert "init_scale=" not in page.url and page.evaluate("document.getElementById('init-scale').validationMessage")
    page.fill("#init-scale", "0.5")
    page.locator("#init-scale").dispatch_event("change")
    assert "init_scale=0.5" in page.url
    assert errors == []


def test_layers_stop_at_the_engines_depth_and_width(page, errors):
    layers = BOUNDS["hidden_layers"]
    widest = layers["items"]["maximum"]
    live(page, f"?hidden_layers={','.join([str(widest)] * layers['maxItems'])}")
    expect(page.locator("#add-layer")).to_be_disabled()
    expect(page.locator(".add-neuron").first).to_be_disabled()
    expect(page.locator(".remove-neuron").first).to_be_enabled()
    assert errors == []
