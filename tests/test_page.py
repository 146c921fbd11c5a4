"""The phone page (`coach export session.html`) in a real browser: Debian's headless Chromium
opens it from a file:// URL, as a phone opens it from its storage. The built-in session is
made with the default engine; what the page must show comes from `coach script --json`."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import time
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait
from support.browser import (
    PHONE,
    chromium,
    current_time,
    open_page,
    requested,
    seek,
    text,
)
from support.runners import coach

pytestmark = pytest.mark.slow  # the built-in session with the real voice, and a browser
SOUND = re.compile(rb'<script type="text/plain" id="sound">([A-Za-z0-9+/=]*)</script>')


def ok(*args: str, folder: Path) -> subprocess.CompletedProcess:
    result = coach(*args, cache=folder / "cache", cwd=folder)
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, dict]:
    """The built-in session as a page and as an MP3 (the same session), and its script."""
    folder = tmp_path_factory.mktemp("page")
    ok("export", "built.html", folder=folder)
    ok("export", "built.mp3", folder=folder)
    return folder, json.loads(ok("script", "--json", folder=folder).stdout)


@pytest.fixture(scope="module")
def browser():
    with chromium() as driver:
        yield driver


@pytest.fixture
def page(browser, built):
    """The built-in page, open; the browser's logs so far are dropped."""
    requested(browser)
    browser.get_log("browser")
    open_page(browser, built[0] / "built.html")
    return browser


def drills(script: dict) -> list[dict]:
    return [c for c in script["chapters"] if c["kind"] == "drill"]


def embedded_mp3(page: Path) -> bytes:
    found = SOUND.search(page.read_bytes())
    assert found, "no inline audio"
    return base64.b64decode(found.group(1), validate=True)


def test_the_page_carries_the_mp3_export_byte_for_byte_within_its_size_bound(built):
    folder, _ = built
    mp3 = (folder / "built.mp3").read_bytes()
    assert embedded_mp3(folder / "built.html") == mp3
    assert (folder / "built.html").stat().st_size <= 1.45 * len(mp3) + 300_000
    assert not [p.name for p in folder.iterdir() if p.name.startswith(".")]  # no part left


def test_opened_from_a_file_it_fetches_nothing_and_logs_no_error(page, built):
    page.find_element(By.ID, "play").click()
    WebDriverWait(page, 10).until(lambda d: current_time(d) > 0.5)
    page.find_element(By.ID, "next-drill").click()
    own = (built[0] / "built.html").absolute().as_uri()
    others = [url for url in requested(page) if url != own]
    assert others and all(url.startswith(("data:", "blob:")) for url in others), others
    assert page.get_log("browser") == []


def test_the_audio_lasts_the_session(page, built):
    duration = page.execute_script("return document.getElementById('audio').duration")
    assert duration == pytest.approx(built[1]["duration"], abs=0.1)


def test_a_button_per_chapter_in_order_each_jumping_to_its_start(page, built):
    chapters = built[1]["chapters"]
    buttons = page.find_elements(By.CSS_SELECTOR, "#chapters button")
    names = [b.find_element(By.CSS_SELECTOR, "span").text for b in buttons]
    assert names == [c["title"] for c in chapters]
    for button, chapter in reversed(list(zip(buttons, chapters, strict=True))):
        page.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
        button.click()
        assert current_time(page) == pytest.approx(chapter["start"], abs=0.01)
        assert button.get_attribute("aria-current") == "true"


def test_seeking_into_a_drill_shows_it_the_line_being_said_and_the_media_title(page, built):
    script = built[1]
    third = drills(script)[2]
    said = [e for e in script["events"] if e.get("text") and e["drill"] == "overhead-lunge-walk"]
    line = max(said, key=lambda e: e["end"] - e["start"])  # its instructions
    seek(page, (line["start"] + line["end"]) / 2)
    part = f"Drill 3 of {len(drills(script))}: {third['title']}"
    assert part == "Drill 3 of 9: Overhead lunge walk"
    assert page.find_element(By.ID, "now").get_attribute("aria-live") == "polite"
    assert text(page, "part") == part and part in text(page, "now")
    assert text(page, "line") == line["text"]
    assert not page.find_element(By.ID, "instructions").is_displayed()  # once on the screen
    shown = page.execute_script(
        "const m = navigator.mediaSession.metadata; return [m.title, m.album, m.artist]"
    )
    assert shown == [part, script["routine"], "coach"]
    assert text(page, "next").startswith("Next: Drill 4 of 9: ")


def test_during_a_set_the_page_counts_the_side_and_rep_heard(page, built):
    script = built[1]
    beeps = [e for e in script["events"] if e.get("tone") == "rep" and e["side"]]
    for beep in (beeps[0], beeps[len(beeps) // 2], beeps[-1]):
        reps = next(s["reps"] for s in script["sets"] if s["start"] <= beep["start"] < s["end"])
        seek(page, beep["start"] + 0.05)
        expected = f"{beep['side'].capitalize()} · rep {beep['rep']} of {reps}"
        assert text(page, "detail") == expected


def test_the_phones_track_buttons_go_by_drill(page, built):
    starts = [c["start"] for c in built[1]["chapters"]]
    seek(page, (starts[2] + starts[3]) / 2)  # inside drill 2
    seeks = "const h = window.spied.handlers; return [h.seekforward, h.seekbackward, 'seekto' in h]"
    assert page.execute_script(seeks) == [None, None, True]  # iOS then shows previous and next
    page.execute_script("window.spied.handlers.nexttrack()")
    assert current_time(page) == pytest.approx(starts[3], abs=0.01)
    seek(page, starts[3] + 5)
    page.execute_script("window.spied.handlers.previoustrack()")
    assert current_time(page) == pytest.approx(starts[3], abs=0.01)  # the drill again
    page.execute_script("window.spied.handlers.previoustrack()")
    assert current_time(page) == pytest.approx(starts[2], abs=0.01)  # twice: the one before
    page.execute_script("window.spied.handlers.seekto({seekTime: 100.5})")
    assert current_time(page) == pytest.approx(100.5, abs=0.01)


def test_play_keeps_the_screen_on_and_pause_lets_it_sleep(page):
    button = page.find_element(By.ID, "play")
    assert button.get_attribute("aria-label") == "Play"
    button.click()
    WebDriverWait(page, 10).until(lambda d: current_time(d) > 0.3)
    assert page.execute_script("return window.spied.wakeLocks") == ["screen"]
    assert button.get_attribute("aria-label") == "Pause"
    assert page.execute_script("return navigator.mediaSession.playbackState") == "playing"
    button.click()
    WebDriverWait(page, 5).until(lambda d: d.execute_script("return window.spied.released") == 1)
    stopped = current_time(page)
    time.sleep(0.5)
    assert current_time(page) == stopped and button.get_attribute("aria-label") == "Play"


def contrast(driver, selector: str) -> float:
    """The contrast ratio (WCAG) of an element's text colour on the page's background."""
    colours = driver.execute_script(
        "const c = (el, p) => getComputedStyle(el)[p].match(/[\\d.]+/g).slice(0, 3).map(Number);"
        "return [c(document.querySelector(arguments[0]), 'color'),"
        " c(document.body, 'backgroundColor')]",
        selector,
    )

    def luminance(rgb: list[float]) -> float:
        linear = [v / 255 / 12.92 if v <= 10 else ((v / 255 + 0.055) / 1.055) ** 2.4 for v in rgb]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted(map(luminance, colours), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_the_page_fits_a_phone_with_high_contrast_in_light_and_dark(built, dark):
    with chromium(dark=dark) as driver:
        open_page(driver, built[0] / "built.html")
        width, height = PHONE
        assert driver.execute_script("return document.documentElement.scrollWidth") <= width
        box = driver.execute_script(
            "const r = document.getElementById('play').getBoundingClientRect();"
            "return [r.left, r.top, r.right, r.bottom]"
        )
        assert 0 <= box[0] and box[2] <= width and 0 <= box[1] and box[3] <= height
        background = driver.execute_script("return getComputedStyle(document.body).backgroundColor")
        assert (background == "rgb(14, 14, 14)") is dark
        for selector in ("#part", "#line", "#instructions", "#next"):
            assert contrast(driver, selector) >= 7, selector
