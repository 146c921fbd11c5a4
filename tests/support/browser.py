"""A real browser for the phone page's tests: Debian's Chromium, headless, driven by Selenium
through Debian's chromedriver (scripts/setup installs both; nothing is downloaded). Pages are
opened from file:// URLs, as a phone opens a page from its storage.

Spies are installed before any page script runs: on the screen wake lock (headless Chromium has
none to give) and on the Media Session's action handlers, which a test calls as the phone's
buttons would.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

os.environ["SE_AVOID_STATS"] = "true"  # Selenium Manager would report usage: nothing is sent

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.support.wait import WebDriverWait  # noqa: E402

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
PHONE = (390, 844)
"""A phone's screen in CSS pixels (an iPhone 14's)."""
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
    # No background connections: this machine's network is closed, and a page must not need one.
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-quic",
]  # fmt: skip
SPIES = """
window.spied = {wakeLocks: [], released: 0, handlers: {}};
Object.defineProperty(navigator, "wakeLock", {configurable: true, value: {
  request(type) {
    window.spied.wakeLocks.push(type);
    const release = () => { window.spied.released += 1; return Promise.resolve(); };
    return Promise.resolve({type, release});
  },
}});
const setActionHandler = navigator.mediaSession.setActionHandler.bind(navigator.mediaSession);
navigator.mediaSession.setActionHandler = (action, handler) => {
  window.spied.handlers[action] = handler;
  setActionHandler(action, handler);
};
"""


@contextmanager
def chromium(dark: bool = False, pixel_ratio: int = 2) -> Iterator[webdriver.Chrome]:
    """Headless Chromium with a phone's screen, its network and console logged, the spies in
    place; `dark` asks pages for their dark colours (prefers-color-scheme); a screenshot has
    `pixel_ratio` pixels to a CSS pixel."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    width, height = PHONE
    metrics = {"width": width, "height": height, "pixelRatio": pixel_ratio}
    options.add_experimental_option("mobileEmulation", {"deviceMetrics": metrics})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": SPIES})
        scheme = "dark" if dark else "light"
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
            "features": [{"name": "prefers-color-scheme", "value": scheme}]})  # fmt: skip
        yield driver
    finally:
        driver.quit()


def open_page(driver: webdriver.Chrome, page: Path) -> None:
    """Open `page` from its file:// URL and wait until its audio's length is known."""
    driver.get(page.absolute().as_uri())
    WebDriverWait(driver, 30).until(
        lambda d: d.execute_script("return isFinite(document.getElementById('audio').duration)")
    )


def requested(driver: webdriver.Chrome) -> list[str]:
    """The URL of every request the browser made since the last call."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def seek(driver: webdriver.Chrome, seconds: float) -> None:
    """Move the audio to `seconds`, as the phone's seek bar does, and wait until it is there."""
    driver.execute_script(
        "const audio = document.getElementById('audio');"
        "window.seekedTo = null;"
        "audio.addEventListener('seeked', () => { window.seekedTo = audio.currentTime; },"
        " {once: true});"
        "audio.currentTime = arguments[0];",
        seconds,
    )
    WebDriverWait(driver, 10).until(lambda d: d.execute_script("return window.seekedTo !== null"))


def text(driver: webdriver.Chrome, element_id: str) -> str:
    """The text an element shows."""
    return driver.execute_script(f"return document.getElementById('{element_id}').textContent")


def current_time(driver: webdriver.Chrome) -> float:
    return driver.execute_script("return document.getElementById('audio').currentTime")
