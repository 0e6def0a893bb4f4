"""A diverged network says so on the page and the reset button brings it back."""
from __future__ import annotations

from playwright.sync_api import expect


def test_divergence_is_shown_and_reset_recovers(page, errors):
    # Regression on the plane with learning rate 10 leaves the finite numbers within an epoch or two.
    page.goto(f"{page.base_url}/?dataset=plane&learning_rate=10")
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    expect(page.locator("#diverged")).to_be_hidden()
    page.click("#play")
    expect(page.locator("#diverged")).to_be_visible(timeout=30_000)
    expect(page.locator("#play")).to_be_disabled()
    page.click("#diverged-reset")
    expect(page.locator("#diverged")).to_be_hidden()
    expect(page.locator("#epoch")).to_have_text("0")
    expect(page.locator("#train-loss")).not_to_have_text("–")
    assert errors == []


def test_divergence_offers_a_reset_at_a_safe_learning_rate(page, errors):
    page.goto(f"{page.base_url}/?dataset=plane&learning_rate=10")
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    page.locator("body").press(" ")
    expect(page.locator("#diverged")).to_be_visible(timeout=30_000)
    lower = page.locator("#diverged-lower")
    expect(lower).to_be_visible()
    lower.click()
    expect(page.locator("#diverged")).to_be_hidden()
    assert "learning_rate" not in page.url  # back at the default rate
    page.click("#play")
    page.wait_for_function("Number(document.getElementById('epoch').textContent) > 20")
    page.click("#play")
    expect(page.locator("#diverged")).to_be_hidden()
    expect(page.locator("#train-loss")).not_to_have_text("–")
    assert errors == []
