#!/usr/bin/env python3
"""The benchmark tables of docs/benchmarks.md, written from the results of scripts/bench.py.

    .venv/bin/python scripts/bench_tables.py bench/results.json docs/benchmarks.md

`make bench` runs it after bench.py, so the figures in the documentation are always those of
one run, never typed by hand. It rewrites what lies between each pair of marker comments,
`<!-- bench:NAME -->` and `<!-- /bench:NAME -->`, for NAME in `machine` (the line saying what
ran them), `figures` (each figure against its anchor) and `engines` (the speech engines), and
leaves every other line of the page as it is. bench.py prints the same tables when it ends.
"""
from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

MARKED = ("machine", "figures", "engines")


def shown(value: float, unit: str) -> str:
    """A median in its unit: bytes as MB, milliseconds to a tenth, seconds to a hundredth."""
    if unit == "B":
        return f"{value / 1e6:.0f} MB"
    return f"{value:.1f} ms" if unit == "ms" else f"{value:.2f} s"


def minutes(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def versus(figure: dict) -> str:
    """The coach against its anchor: a ratio, or for a difference the coach's extra time."""
    if figure["compare"] == "ratio":
        return f"{figure['ratio']:.2f}×"
    sign = "+" if figure["difference"] >= 0 else "-"
    return sign + shown(abs(figure["difference"]), figure["unit"])


def markdown(header: list[str], align: str, rows: list[list[str]]) -> list[str]:
    """A Markdown table; `align` has an `l` or `r` per column."""
    rule = ["---:" if a == "r" else "---" for a in align]
    return ["| " + " | ".join(cells) + " |" for cells in (header, rule, *rows)]


def figures_table(results: dict) -> list[str]:
    rows = [[f["name"], shown(f["median"], f["unit"]), f["anchor"],
             shown(f["anchor_median"], f["unit"]), versus(f), f["target_text"],
             "" if f["met"] is None else "yes" if f["met"] else "no"]
            for f in results["figures"]]
    return markdown(["figure", "coach", "anchor", "anchor", "vs anchor", "target", "met"],
                    "lrlrrll", rows)


def engines_table(results: dict) -> list[str]:
    rows = [[f"`{e['engine']}`", f"{e['cold_render_median']:.2f} s",
             f"{e['word_error_rate']:.3f}", str(e["phrases"])] for e in results["engines"]]
    return markdown(["engine", "cold render of the session's phrases (median)",
                     "word error rate", "phrases"], "lrrr", rows)


def machine_line(results: dict) -> list[str]:
    """What ran the figures, and how busy it was (the commit stays in the results file)."""
    m = results["machine"]
    espeak = m["espeak_ng"].split("  Data at:")[0]
    ffmpeg = m["ffmpeg"].split(" Copyright")[0]
    return [f"Medians of {results['runs']} runs on {m['nproc']} CPUs ({m['cpu']}), "
            f"Python {m['python']}, {m['piper']}, {espeak}, {ffmpeg}; {m['date']}; load "
            f"average {m['load_average_at_start'][0]:.2f} at the start and "
            f"{m['load_average_at_end'][0]:.2f} at the end. The default session is "
            f"{minutes(results['session_seconds'])} long with {results['phrases']} distinct "
            f"phrases; the long routine {minutes(results['long_session_seconds'])} "
            f"({results['length_ratio']:.2f}× as long)."]


def player_table(player: dict) -> list[str]:
    """The session as heard at a real-time sink (scripts/bench_player.py's results)."""
    s = player["session"]
    openings = "a new one per piece" if s["openings"] is None else str(s["openings"])
    rows = [[f"{minutes(s['session_seconds'])} through {s['audio']}", openings,
             f"{s['beeps_found']} of {s['beeps']}", f"{s['median_abs_error_ms']:.1f} ms",
             f"{s['worst_error_ms']:.1f} ms", f"{s['drift_over_session_ms']:.1f} ms",
             f"{s['drift_per_chapter_ms']:.1f} ms"]]  # fmt: skip
    return markdown(["session played", "device openings", "beeps found", "beep error (median)",
                     "worst", "drift over the session", "per chapter"], "llrrrrr", rows)


def tables(results: dict) -> dict[str, list[str]]:
    return {"machine": machine_line(results), "figures": figures_table(results),
            "engines": engines_table(results)}


def rewrite(page: str, filled: dict[str, list[str]]) -> str:
    """`page` with the lines between each pair of markers replaced by its table."""
    for name, lines in filled.items():
        between = re.compile(rf"(<!-- bench:{name} -->\n).*?(<!-- /bench:{name} -->)", re.S)
        page, found = between.subn(lambda m, lines=lines: m[1] + "\n".join(lines) + "\n" + m[2],
                                   page)
        if found != 1:
            raise SystemExit(f"bench_tables: the page needs one pair of `bench:{name}` markers, "
                             f"found {found}")
    return page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, help="the JSON that scripts/bench.py wrote")
    parser.add_argument("page", type=Path, help="the Markdown page to rewrite")
    parser.add_argument("--player", type=Path, help="the JSON that scripts/bench_player.py wrote")
    args = parser.parse_args()
    filled = tables(json.loads(args.results.read_text(encoding="utf-8")))
    if args.player is not None:
        filled["player"] = player_table(json.loads(args.player.read_text(encoding="utf-8")))
    page = args.page.read_text(encoding="utf-8")
    args.page.write_text(rewrite(page, filled), encoding="utf-8")


if __name__ == "__main__":
    main()
