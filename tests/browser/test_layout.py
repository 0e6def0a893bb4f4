"""The page's layout on a desktop, a tablet and a phone: what shows first, what fits, how Tab moves."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from backend.engine.config import BOUNDS

SCREENS = {"desktop": (1280, 800), "tablet": (900, 900), "phone": (390, 844)}
ARROW_PX = 20  # room a select keeps for its drop-down arrow
TAB_LIMIT = 300  # Tab presses at most: more than the page has stops

# Each select's widest choice, measured in the select's own font, against the room the select gives it.
MENU_ROOM = """() => [...document.querySelectorAll('select')].filter(s => s.offsetParent).map(select => {
  const style = getComputedStyle(select);
  const context = document.createElement('canvas').getContext('2d');
  context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const widest = [...select.options].reduce((a, o) => Math.max(a, context.measureText(o.text).width), 0);
  const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - %d;
  return {id: select.id, widest, room};
})""" % ARROW_PX

# Where the focused element is: -1 in the bar above the panels, else its panel's rank on screen.
FOCUS_RANK = """() => {
  const panels = [...document.querySelectorAll('#panels > *')];
  const box = p => p.getBoundingClientRect();
  const seen = [...panels].sort((a, b) => (Math.round(box(a).top) - Math.round(box(b).top)) || box(a).left - box(b).left);
  const panel = document.activeElement.closest('#panels > *');
  return panel ? seen.indexOf(panel) : (document.activeElement.closest('.bar') ? -1 : null);
}"""


def live(page, query: str = ""):
    page.goto(f"{page.base_url}/{query}")
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    return page


def at(page, screen: str):
    width, height = SCREENS[screen]
    page.set_viewport_size({"width": width, "height": height})
    return page


def test_on_a_phone_the_output_is_on_the_first_screen_and_the_settings_a_tap_away(phone, errors):
    live(phone)
    box = phone.locator("#output").bounding_box()
    assert box["y"] + box["height"] <= SCREENS["phone"][1]
    expect(phone.locator("#learning-rate")).to_be_hidden()
    phone.locator("#settings-toggle").tap()
    expect(phone.locator("#learning-rate")).to_be_visible()
    expect(phone.locator("#settings-toggle")).to_have_attribute("aria-expanded", "true")
    assert errors == []


@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_every_menu_shows_its_longest_choice_whole(page, screen, errors):
    live(at(page, screen))
    if screen == "phone":
        page.click("#settings-toggle")
    menus = page.evaluate(MENU_ROOM)
    assert {"loss", "activation", "init", "optimizer"} <= {m["id"] for m in menus}
    assert [m for m in menus if m["widest"] > m["room"]] == []
    assert errors == []


@pytest.mark.parametrize("screen", list(SCREENS))
def test_tab_goes_through_the_panels_in_the_order_they_are_seen(page, screen, errors):
    live(at(page, screen))
    page.focus("#reset")
    ranks = []
    for _ in range(TAB_LIMIT):
        page.keyboard.press("Tab")
        rank = page.evaluate(FOCUS_RANK)
        if rank is None:
            break
        ranks.append(rank)
    assert rank is None, "Tab never left the panels"
    assert ranks == sorted(ranks)
    assert ranks[0] == -1 and len(set(ranks)) == 5  # the bar, then each of the four panels with controls
    assert errors == []


def test_a_network_wider_than_its_panel_says_to_scroll(page, errors):
    live(page)
    expect(page.locator(".scroll-hint")).to_be_hidden()
    deepest = ",".join(["4"] * BOUNDS["hidden_layers"]["maxItems"])
    live(page, f"?hidden_layers={deepest}")
    expect(page.locator(".scroll-hint")).to_be_visible()
    assert page.evaluate("(() => { const c = document.querySelector('.columns'); return c.scrollWidth > c.clientWidth; })()")
    assert errors == []


def test_on_a_phone_three_layers_already_say_to_scroll(phone, errors):
    live(phone, "?hidden_layers=4,2,2")
    expect(phone.locator(".scroll-hint")).to_be_visible()
    assert errors == []
