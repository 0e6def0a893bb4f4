"""Saving a run and opening its link in a real browser: the link shows the same run, which plays on as a fork."""
from __future__ import annotations

from urllib.parse import urlparse

from playwright.sync_api import expect

from .test_page import PIXELS, open_page, pixels
from .test_timeline import chart_epochs, steps, wait_for_output


def watched(page, errors):
    """Another page of the same browser context, its errors collected in `errors`."""
    other = page.context.new_page()
    other.set_default_timeout(30_000)
    other.on("console", lambda message: errors.append(f"console: {message.text}") if message.type == "error" else None)
    other.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    return other


def save(page) -> str:
    """Save the page's run; the share link it shows."""
    page.click("#save")
    expect(page.locator("#share")).to_be_visible()
    expect(page.locator("#share-link")).to_be_focused()
    link = page.input_value("#share-link")
    assert urlparse(link).path.startswith("/r/") and link.startswith(page.base_url)
    return link


def test_a_saved_run_opens_at_its_link_and_plays_on_as_a_fork(page, errors):
    open_page(page, "?learning_rate=0.1&dataset=xor")
    steps(page, 4)
    saved_output = pixels(page, "#output")["hash"]
    link = save(page)

    other = watched(page, errors)
    with other.expect_response("**/api/sessions/import") as imported:
        other.goto(link)
    fork = imported.value.json()["id"]
    expect(other.locator("#connection")).to_have_attribute("data-state", "live")
    expect(other.locator("#epoch")).to_have_text("4")
    wait_for_output(other, saved_output)  # the same network at the same epoch
    expect(other.locator("#loss-chart")).to_have_attribute("data-last-epoch", "4")
    assert chart_epochs(other) == ("0", "4")  # its charts from its history
    expect(other.locator("#timeline")).to_have_attribute("max", "4")
    expect(other.locator("#play")).to_have_attribute("aria-pressed", "false")  # paused
    expect(other.locator("#learning-rate")).to_have_value("0.1")  # the settings show the saved run's
    expect(other.locator("[data-dataset=xor]")).to_have_attribute("aria-pressed", "true")
    assert urlparse(other.url).path == urlparse(link).path and urlparse(other.url).query == ""

    # Looking back works on the saved run too: it came with its timeline.
    other.locator("#timeline").fill("2")
    expect(other.locator("#epoch")).to_have_text("2")
    other.click("#back-to-now")
    expect(other.locator("#epoch")).to_have_text("4")

    steps(other, 3)  # the fork trains on; the saved run and the page that saved it stay as they were
    expect(page.locator("#epoch")).to_have_text("4")
    run = page.request.get(f"{page.base_url}/api/runs/{urlparse(link).path.split('/')[-1]}").json()
    assert run["document"]["epoch"] == 4

    assert page.request.delete(f"{page.base_url}/api/sessions/{fork}").status == 204
    expect(other.locator("#epoch")).to_have_text("4")  # the server forgot the fork: the saved run is imported again
    wait_for_output(other, saved_output)

    other.reload()  # a reload opens the saved run again
    expect(other.locator("#epoch")).to_have_text("4")
    wait_for_output(other, saved_output)
    assert urlparse(other.url).path == urlparse(link).path
    assert errors == []


def test_a_change_on_a_saved_runs_page_is_kept_in_its_address(page, errors):
    open_page(page)
    steps(page, 2)
    link = save(page)
    other = watched(page, errors)
    other.goto(link)
    expect(other.locator("#epoch")).to_have_text("2")
    other.select_option("#learning-rate", "0.3")
    assert urlparse(other.url).path == urlparse(link).path and "learning_rate=0.3" in other.url
    other.reload()  # the saved run again, with the change the address holds
    expect(other.locator("#epoch")).to_have_text("2")
    expect(other.locator("#learning-rate")).to_have_value("0.3")
    steps(other, 1)
    session = other.evaluate("sessionStorage.getItem('layerlab.playground.session')")
    assert session is None  # a saved run's page keeps no session of its own across reloads
    assert errors == []


def test_a_missing_saved_run_says_so_and_starts_afresh(page, errors):
    page.goto(f"{page.base_url}/r/no-such-run")
    expect(page.locator("#message")).to_contain_text("no such saved run")
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    expect(page.locator("#epoch")).to_have_text("0")
    assert urlparse(page.url).path == "/"
    page.wait_for_function(f"({PIXELS})('#output').inked > 0")
    assert [e for e in errors if "404" not in e] == []  # the browser logs the missing run itself


def test_the_share_link_fits_a_phone(phone, errors):
    open_page(phone)
    link = save(phone)
    assert "/r/" in link
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    for selector in ("#share-link", "#copy-link", "#share-close"):
        box = phone.locator(selector).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    phone.locator("#share-close").tap()
    expect(phone.locator("#share")).to_be_hidden()
    assert errors == []


def test_a_refused_save_says_which_limit_and_when_to_try_again(page, errors):
    """The server's refusal (here a stand-in for it: 429 with Retry-After) is shown on the message line."""
    page.route("**/save", lambda route: route.fulfill(
        status=429, headers={"Retry-After": "42"}, content_type="application/json",
        body='{"detail": "max_saves_per_client_per_hour: 60 saves an hour from one client"}'))
    open_page(page)
    page.click("#save")
    expect(page.locator("#message")).to_contain_text("Not saved: max_saves_per_client_per_hour")
    expect(page.locator("#message")).to_contain_text("Try again in 42 s")
    expect(page.locator("#share")).to_be_hidden()
    expect(page.locator("#save")).to_be_enabled()
    assert [e for e in errors if "429" not in e] == []  # the browser logs the refused request itself


def test_saving_while_looking_back_shares_the_epoch_on_screen(page, errors):
    open_page(page, "?dataset=xor")
    steps(page, 2)
    earlier_output = pixels(page, "#output")["hash"]
    steps(page, 3)
    page.locator("#timeline").fill("2")
    expect(page.locator("#epoch")).to_have_text("2")
    wait_for_output(page, earlier_output)
    link = save(page)
    expect(page.locator("#share-epoch")).to_have_text("2")

    other = watched(page, errors)
    other.goto(link)
    expect(other.locator("#epoch")).to_have_text("2")
    wait_for_output(other, earlier_output)
    expect(other.locator("#timeline")).to_have_attribute("max", "2")  # its history ends there
    page.click("#back-to-now")
    expect(page.locator("#epoch")).to_have_text("5")  # the page's own run went on untouched
    assert errors == []
