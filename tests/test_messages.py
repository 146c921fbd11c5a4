"""Every message that counts says its count in good English at 0, 1 and 2: "1 clip", "2 clips",
"an empty value", never "1 clips" or "a empty value"."""

from __future__ import annotations

import pytest
from support.routine_parts import HEAD, write_case
from support.runners import invoke

from coach.cache.store import _BED_MAGIC, _MAGIC
from coach.system.english import a_or_an, number_of, plural

DRILL = "  - name: Squat {n}\n    instructions: Sit down and stand up.\n    reps: 4\n"


@pytest.mark.parametrize(("count", "expected"), [
    (0, "0 clips"), (1, "1 clip"), (2, "2 clips"), (1.5, "1.5 clips"), (1.0, "1 clip"),
])  # fmt: skip
def test_number_of(count, expected):
    assert number_of(count, "clip") == expected


def test_plurals_and_articles():
    assert [plural(n, "entry", "entries") for n in (0, 1, 2)] == ["entries", "entry", "entries"]
    assert [plural(2, w) for w in ("is", "it", "match", "drill")] == [
        "are", "they", "matches", "drills"]  # fmt: skip
    assert [plural(1, w) for w in ("is", "it", "match", "drill")] == ["is", "it", "match", "drill"]
    assert (plural(2, "does", "do"), plural(1, "does", "do")) == ("do", "does")
    assert [a_or_an(w) for w in ("empty value", "list", "integer", "true/false value")] == [
        "an empty value", "a list", "an integer", "a true/false value"]  # fmt: skip


def fill(folder, clips: int, beds: int) -> None:
    folder.mkdir(exist_ok=True)
    for i in range(clips):
        (folder / f"{i:064x}.clip").write_bytes(_MAGIC + b"\0" * 8)
    for i in range(beds):
        (folder / f"{i + 100:064x}.bed").write_bytes(_BED_MAGIC + b"\0" * 8)


@pytest.mark.parametrize("count", [0, 1, 2])
def test_the_cache_commands_count_clips_and_beds(tmp_path, count):
    folder = tmp_path / "cache"
    fill(folder, count, count)
    clips = "1 clip" if count == 1 else f"{count} clips"
    beds = {0: "", 1: "1 music bed, ", 2: "2 music beds, "}[count]
    info = invoke("cache", "info", "--cache-dir", str(folder))
    assert info.stdout.startswith(f"{folder} (from --cache-dir): {clips}, {beds}0.0 MB")
    for bed in folder.glob("*.bed"):
        bed.unlink()
    cleared = invoke("cache", "clear", "--cache-dir", str(folder))
    assert cleared.stdout == f"Removed {clips} from {folder}.\n"


@pytest.mark.parametrize("count", [1, 2, 3])
def test_check_counts_the_drills(tmp_path, count):
    path = write_case(tmp_path, HEAD + "".join(DRILL.format(n=n) for n in range(count)))
    drills = "1 drill" if count == 1 else f"{count} drills"
    assert invoke("check", str(path)).stdout == f"{path}: OK, {drills}.\n"


def test_an_empty_value_has_its_article(tmp_path):
    path = write_case(tmp_path, "name:\ndrills:\n" + DRILL.format(n=1))
    result = invoke("check", str(path))
    assert result.exit_code == 2
    expected = "field 'name', line 1: must be text, not an empty value."
    assert result.stderr.rstrip().endswith(expected)
