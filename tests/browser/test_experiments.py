"""The Experiments page in a real browser against the real server: every lesson runs and plots, a custom sweep
runs to the end or is refused naming the field, plots save as PNG and CSV, a network opens in the playground,
a reload shows the experiment again, and the cards fit a phone."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from backend.engine.lessons import LESSONS

FIRST_PIECE_MS = 180_000  # a lesson's first networks: its programs compile first
END_MS = 300_000  # a whole small experiment, compiling included
ENDED = re.compile(r"^(finished|cancelled)$")
KEPT = "layerlab.experiments"  # the page's sessionStorage key (experiments/main.js)
CHROMA = 60  # a pixel this far from grey is a series line's: axes, grid and labels are grey

# Coloured opaque pixels of a uPlot canvas: a drawn line's, not a translucent band's nor the grey axes'.
LINE_PIXELS = f"""canvas => {{
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let count = 0;
  for (let i = 0; i < data.length; i += 4) {{
    const rgb = [data[i], data[i + 1], data[i + 2]];
    if (data[i + 3] > 200 && Math.max(...rgb) - Math.min(...rgb) > {CHROMA}) count++;
  }}
  return count;
}}"""


@pytest.fixture
def experiments(page):
    """The Experiments page, ready; whatever it left running is cancelled afterwards, so that the next test's
    experiments are not refused for the client's limit."""
    page.goto(f"{page.base_url}/experiments.html")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    yield page
    kept = page.evaluate(f"JSON.parse(sessionStorage.getItem('{KEPT}') ?? '{{}}')")
    for entry in kept.values():
        page.request.delete(f"{page.base_url}/api/experiments/{entry['id']}")


def lesson_card(page, lesson: str):
    return page.locator(f"[data-lesson='{lesson}']")


def wait_for_progress(card) -> None:
    card.page.wait_for_function("card => card.querySelector('progress').value > 0", arg=card.element_handle(),
                                timeout=FIRST_PIECE_MS)


def expect_drawn(card) -> None:
    """Every plot of the card has lines, named in its legend and drawn on its (first) chart."""
    figures = card.locator("figure.plot")
    assert figures.count() >= 1
    for i in range(figures.count()):
        figure = figures.nth(i)
        expect(figure).not_to_have_attribute("data-lines", "0")
        expect(figure.locator(".plot-legend li[data-key]")).not_to_have_count(0)
        figure.page.wait_for_function(f"f => ({LINE_PIXELS})(f.querySelector('canvas')) > 0", arg=figure.element_handle())


def fill_custom(page, values: str = "1, 2", seeds: str = "2", epochs: str = "20", second_axis: bool = True):
    """The custom sweep's form: depth over `values` (× two activations), seeds and epochs as typed."""
    card = page.locator("#custom-sweep")
    card.locator(".axis-row[data-axis=depth] input.values").fill(values)
    if second_axis:
        card.locator("button.add-axis").click()
        card.locator(".axis-row").nth(1).locator("select.axis-name").select_option("activation")
    card.locator("input[name=seeds]").fill(seeds)
    card.locator("input[name=epochs]").fill(epochs)
    return card


def opened_live(page, link, errors):
    """The lab page a link opens in a new tab, its errors collected, once its stream is live."""
    with page.context.expect_page() as opened:
        link.click()
    lab = opened.value
    lab.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    lab.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    expect(lab.locator("#connection")).to_have_attribute("data-state", "live", timeout=FIRST_PIECE_MS)
    return lab


def test_a_card_for_each_lesson_the_server_serves(experiments, errors):
    options = experiments.request.get(f"{experiments.base_url}/api/experiments/options").json()
    cards = experiments.locator("article.lesson")
    expect(cards).to_have_count(len(options["lessons"]))
    for lesson in options["lessons"]:
        card = lesson_card(experiments, lesson["id"])
        expect(card.locator("h3").first).to_have_text(lesson["title"])
        expect(card.locator(".claim")).to_have_text(lesson["claim"])
    assert errors == []


@pytest.mark.parametrize("lesson", [lesson.id for lesson in LESSONS])
def test_a_lesson_runs_plots_as_it_goes_and_cancels(experiments, errors, lesson):
    card = lesson_card(experiments, lesson)
    card.locator("button.run").click()
    expect(card.locator("button.run")).to_be_disabled()
    wait_for_progress(card)
    expect(card.locator(".counts")).to_contain_text(re.compile(r"[1-9]\d* / \d+ networks"))
    expect_drawn(card)
    expect(card.locator(".watch")).to_be_visible()
    cancel = card.locator("button.cancel")
    if cancel.is_visible():  # a small lesson may end before the click
        cancel.click()
    expect(card.locator(".run-part")).to_have_attribute("data-status", ENDED, timeout=END_MS)
    expect(card.locator(".phase")).to_have_text(ENDED)
    expect(card.locator("button.run")).to_be_enabled()
    assert errors == []


def test_a_long_lesson_says_it_was_cancelled_and_keeps_its_rows(experiments, errors):
    card = lesson_card(experiments, "more-data")  # about a minute: still running when cancelled
    card.locator("button.run").click()
    wait_for_progress(card)
    card.locator("button.cancel").click()
    expect(card.locator(".phase")).to_have_text("cancelled", timeout=END_MS)
    expect(card.locator("figure.plot").first).not_to_have_attribute("data-lines", "0")
    assert errors == []


def test_a_custom_sweep_runs_to_the_end_and_saves_its_plot(experiments, errors):
    card = fill_custom(experiments)
    activations = card.locator(".axis-row[data-axis=activation] input:checked")
    chosen = [activations.nth(i).get_attribute("value") for i in range(activations.count())]
    assert len(chosen) == 2
    card.locator("button.run").click()
    expect(card.locator(".phase")).to_have_text("finished", timeout=END_MS)
    expect(card.locator(".counts")).to_contain_text("8 / 8 networks")
    figure = card.locator("figure.plot")
    expect(figure).to_have_attribute("data-lines", "2")  # one per activation
    expect(figure.locator(".plot-legend li[data-key]")).to_have_text(chosen)
    expect_drawn(card)

    with experiments.expect_download() as png:
        figure.locator("button", has_text="PNG").click()
    assert png.value.suggested_filename.endswith(".png")
    assert Path(png.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    with experiments.expect_download() as plot_csv:
        figure.locator("button", has_text="CSV").click()
    lines = list(csv.reader(io.StringIO(Path(plot_csv.value.path()).read_text())))
    assert lines[0] == ["x", "series", "mean", "min", "max"]
    assert sorted((x, s) for x, s, *_ in lines[1:]) == sorted((x, s) for x in ("1", "2") for s in chosen)
    for _, _, mean, low, high in lines[1:]:
        assert float(low) <= float(mean) <= float(high)

    with experiments.expect_download() as results:
        card.locator("a.results").click()
    rows = list(csv.DictReader(io.StringIO(Path(results.value.path()).read_text())))
    assert len(rows) == 8 and {"depth", "activation", "seed", "model", "test_accuracy"} <= set(rows[0])
    assert errors == []


def test_a_refused_sweep_names_the_field(experiments, errors):
    card = fill_custom(experiments, epochs="999999", second_axis=False)
    card.locator("button.run").click()
    expect(card.locator(".problem")).to_be_visible()
    expect(card.locator(".problem")).to_contain_text("epochs")
    expect(card.locator("button.run")).to_be_enabled()
    expect(card.locator("figure.plot")).to_have_count(0)
    assert [e for e in errors if "422" not in e] == []  # the browser logs the refused request itself


def test_a_full_queue_says_when_to_try_again(experiments, errors):
    """The server's refusal (here a stand-in: 429 with Retry-After) is shown on the card."""
    experiments.route("**/api/experiments", lambda route: route.fulfill(
        status=429, headers={"Retry-After": "42"}, content_type="application/json",
        body='{"detail": "max_experiments_per_client: one client may have 2 experiments queued or running"}'))
    card = lesson_card(experiments, LESSONS[0].id)
    card.locator("button.run").click()
    expect(card.locator(".problem")).to_contain_text("max_experiments_per_client")
    expect(card.locator(".problem")).to_contain_text("Try again in 42 s")
    assert [e for e in errors if "429" not in e] == []


def test_a_network_opens_in_the_playground_with_its_settings(experiments, errors):
    card = fill_custom(experiments, values="1, 3")
    activation = card.locator(".axis-row[data-axis=activation] input:checked").nth(1).get_attribute("value")
    card.locator("button.run").click()
    expect(card.locator(".phase")).to_have_text("finished", timeout=END_MS)
    card.locator(".watch select").select_option("[1,1]")  # 3 hidden layers, the second activation
    link = card.locator(".watch a")
    expect(link).to_have_attribute("href", re.compile(r"^/\?.*hidden_layers=4,4,4"))
    playground = opened_live(experiments, link, errors)
    expect(playground.locator("#hidden-count")).to_have_text("3 hidden layers")
    expect(playground.locator("#activation")).to_have_value(activation)
    expect(playground.locator("#seed")).to_have_value("0")
    assert errors == []


def test_a_digits_network_opens_in_the_convnet_lab_on_its_training_images(experiments, errors):
    card = lesson_card(experiments, "more-digits")
    card.locator("button.run").click()
    wait_for_progress(card)  # the first networks: 20 training images
    card.locator(".watch select").select_option("[0,0]")
    link = card.locator(".watch a")
    expect(link).to_have_attribute("href", re.compile(r"^/convnet\.html\?.*train_images=20"))
    card.locator("button.cancel").click()
    lab = opened_live(experiments, link, errors)
    expect(lab.locator("#train-images")).to_have_value("20")
    lab.locator("#train-images").select_option("")  # all of them again: a new network on every image
    expect(lab).not_to_have_url(re.compile("train_images"))
    assert errors == []


def test_a_reload_shows_the_experiment_again(experiments, errors):
    card = lesson_card(experiments, "width")
    card.locator("button.run").click()
    expect(card.locator(".phase")).to_have_text("finished", timeout=END_MS)
    counts = card.locator(".counts").text_content()
    experiments.reload()
    card = lesson_card(experiments, "width")
    expect(card.locator(".phase")).to_have_text("finished")
    expect(card.locator(".counts")).to_have_text(counts)
    expect_drawn(card)
    assert errors == []


def test_the_cards_fit_a_phone(phone, errors):
    phone.goto(f"{phone.base_url}/experiments.html")
    expect(phone.locator("body")).to_have_attribute("data-ready", "true")
    card = lesson_card(phone, "linear-circles")
    card.locator("button.run").tap()
    expect(card.locator(".phase")).to_have_text("finished", timeout=END_MS)
    expect_drawn(card)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    for box in [c.bounding_box() for c in phone.locator("article.card, figure.plot, .plot canvas").all()]:
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert errors == []
