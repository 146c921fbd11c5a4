"""The phone page's picture in the docs: the built-in session exported as a page, opened in
headless Chromium on a phone's screen (390 x 844), shown as a cue is said during drill 3's
set.

    .venv/bin/python scripts/page_screenshot.py docs/phone-page.png

It drives the browser as the page's tests do (tests/support/browser.py).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from support.browser import chromium, open_page, seek  # noqa: E402

DRILL = "overhead-lunge-walk"
"""The drill shown: the page is caught while one of its cues is said, mid-set."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("png", type=Path, help="Where the screenshot goes.")
    parser.add_argument("--dark", action="store_true", help="The page's dark colours.")
    out = parser.parse_args()
    coach = [sys.executable, "-m", "coach"]
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "leg-mobility.html"
        subprocess.run([*coach, "export", str(page)], check=True, stdout=subprocess.DEVNULL)
        script = json.loads(subprocess.run([*coach, "script", "--json"], check=True,
                                           capture_output=True, text=True).stdout)  # fmt: skip
        rep_set = next(s for s in script["sets"] if s["drill"] == DRILL)
        line = next(e for e in script["events"] if e.get("text") and e["drill"] == DRILL
                    and e["start"] > rep_set["start"] and len(e["text"]) > 12)  # fmt: skip
        with chromium(dark=out.dark, pixel_ratio=1) as driver:
            open_page(driver, page)
            seek(driver, (line["start"] + line["end"]) / 2)
            driver.save_screenshot(str(out.png))
    print(f"Wrote {out.png}")


if __name__ == "__main__":
    main()
