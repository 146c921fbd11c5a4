"""One stream for the session's whole life: keys pause, skip and restart within the one opening
of the device, and simpleaudio, which opens it for each part, stays as the fallback."""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest
from support.bus import BusClient, private_bus
from support.devices import (
    assert_plays,
    chapter,
    file_device,
    fixture_player,
    play_start,
    player_environment,
    reached_device,
    rep_sets,
    seconds,
    session,
    write_routine,
)
from support.fixtures import player_routine, player_timeline  # noqa: F401 - module fixtures
from support.pulse import pulse_sink
from support.terminal import Terminal

from coach.playback.mpris import BUS_NAME, PLAYER
from coach.samples import SAMPLE_RATE


@pytest.mark.slow
def test_keys_pause_skip_and_restart_within_one_opening(tmp_path, timeline):
    script, samples = timeline.script, timeline.samples
    ankle, spider = chapter(timeline, "ankle-circle"), chapter(timeline, "walking-spiderman")
    count_in = rep_sets(script)[0][0]
    term = Terminal(tmp_path)
    plays: list[tuple[int, int]] = []

    def expect(offset: int) -> None:
        after = plays[-1][1] + 1 if plays else 0
        plays.append((offset, term.wait_for_play(samples, offset, after)))

    expect(0)
    term.press("n")  # in the intro: to the first drill
    expect(ankle.start)
    time.sleep(seconds(count_in - ankle.start) + 1.5)  # into the count-in
    term.press(" ")  # pause: the stream stays open and gets silence
    time.sleep(0.5)
    paused_at = term.samples()
    time.sleep(0.5)
    heard = reached_device(term.out)[0]
    assert len(heard) - paused_at > 0.3 * SAMPLE_RATE  # still fed, in real time
    assert not np.any(heard[paused_at:])  # with silence
    term.press(" ")  # resume: the count-in again
    expect(count_in)
    term.press("n")
    expect(spider.start)
    term.press("p")  # restart the drill
    expect(spider.start)
    term.press("p")  # again, quickly: the drill before
    expect(ankle.start)
    term.press("q")
    assert term.finish() == 0
    (heard,) = reached_device(term.out)  # one opening for every jump
    assert_plays(heard, samples, plays)
    screen = term.screen.decode(errors="replace")
    assert "Drill 1 of 2: Ankle circle" in screen and "PAUSED" in screen and "space pause" in screen


def test_ctrl_c_stops_the_stream_cleanly(tmp_path, timeline):
    term = Terminal(tmp_path)
    term.wait_for_play(timeline.samples, 0)
    term.press("\x03")
    assert term.finish() == 130
    (heard,) = reached_device(term.out)
    assert 0 < len(heard) < timeline.script.length  # stopped where it was
    assert np.array_equal(heard, timeline.samples[: len(heard)])


@pytest.mark.slow
def test_simpleaudio_opens_the_device_for_each_part_when_asked(tmp_path, routine):
    expected = session(routine, "ankle-circle").timeline()
    played = subprocess.run(
        fixture_player(write_routine(tmp_path), "--slow", "--only", "ankle-circle",
                       "--audio", "simpleaudio"),
        env=file_device(tmp_path, tmp_path / "out.raw"),
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert played.returncode == 0, played.stderr
    got = reached_device(tmp_path / "out.raw")
    assert len(got) > 1  # a chapter a piece while the session is being made
    assert np.array_equal(np.concatenate(got), expected.samples)
    assert "PortAudio" not in played.stderr  # asked for: no word of a fallback


@pytest.mark.slow
def test_without_portaudio_it_falls_back_to_simpleaudio_and_says_so(tmp_path, routine):
    """A `sounddevice` that cannot load PortAudio, as on a machine without libportaudio2."""
    missing = tmp_path / "no-portaudio"
    missing.mkdir()
    (missing / "sounddevice.py").write_text('raise OSError("PortAudio library not found")\n')
    env = file_device(tmp_path, tmp_path / "out.raw")
    env["PYTHONPATH"] = f"{missing}:{env['PYTHONPATH']}"
    expected = session(routine, "ankle-circle").timeline()
    played = subprocess.run(
        fixture_player(write_routine(tmp_path), "--only", "ankle-circle"),
        env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert played.returncode == 0, played.stderr
    assert played.stderr == (
        "coach: PortAudio cannot be loaded (PortAudio library not found); playing through "
        "simpleaudio, which opens the device again for each part (install libportaudio2 for "
        "one stream).\n"
    )
    assert np.array_equal(np.concatenate(reached_device(tmp_path / "out.raw")), expected.samples)


def test_an_unknown_audio_output_is_bad_input(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "coach", "play", "--audio", "jack", "--engine", "espeak-ng"],
        capture_output=True, text=True, timeout=60,
        env={**file_device(tmp_path, tmp_path / "o"), "COACH_CACHE_DIR": str(tmp_path / "c")},
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr == (
        "coach: error: Unknown audio output 'jack'; the outputs are: portaudio, simpleaudio.\n"
    )
    assert not list(tmp_path.glob("o*")) and not (tmp_path / "c").exists()  # nothing made


def _until(check, what: str, timeout: float = 20):
    """Poll `check` until it gives something other than None or False (0 is an answer): that;
    a failure naming `what` past the timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (found := check()) is not None and found is not False:
            return found
        time.sleep(0.02)
    raise AssertionError(f"never: {what}")


@pytest.mark.slow
def test_media_keys_steer_the_player_over_mpris(tmp_path, routine, timeline):
    samples = timeline.samples
    ankle = chapter(timeline, "ankle-circle")
    out = tmp_path / "out.raw"
    with private_bus() as address:
        player = subprocess.Popen(
            fixture_player(write_routine(tmp_path)), stdin=subprocess.DEVNULL,
            env={**file_device(tmp_path, out), "DBUS_SESSION_BUS_ADDRESS": address},
        )  # fmt: skip
        client = BusClient(address)
        try:
            _until(lambda: client.has_owner(BUS_NAME), "the player on the bus")

            def heard_from(offset: int, after: int = 0) -> int:
                def start() -> int | None:
                    heard = reached_device(out)
                    return play_start(heard[0], samples, offset, after) if heard else None

                return _until(start, f"sample {offset} heard")

            def title() -> str:
                return client.get(BUS_NAME, PLAYER, "Metadata")[1]["xesam:title"][1]

            intro = heard_from(0)
            assert title() == "Intro"
            assert client.get(BUS_NAME, PLAYER, "Metadata")[1]["xesam:album"][1] == routine.name
            client.call(BUS_NAME, PLAYER, "Next")  # a headset's "next" button
            drill = heard_from(ankle.start, intro + 1)
            _until(lambda: title() == "Drill 1 of 2: Ankle circle", "the drill's title")
            metadata = client.get(BUS_NAME, PLAYER, "Metadata")[1]
            position = client.get(BUS_NAME, PLAYER, "Position")
            assert position[0] == "x" and 0 <= position[1] <= metadata["mpris:length"][1]
            client.call(BUS_NAME, PLAYER, "Previous")  # "previous": the drill again
            again = heard_from(ankle.start, drill + 1)
            client.call(BUS_NAME, PLAYER, "PlayPause")
            _until(lambda: client.get(BUS_NAME, PLAYER, "PlaybackStatus")[1] == "Paused", "paused")
            client.call(BUS_NAME, PLAYER, "Stop")
            assert player.wait(timeout=20) == 0
        finally:
            client.close()
            player.kill()
    (heard,) = reached_device(out)  # one opening, whatever the buttons did
    assert_plays(heard, samples, [(0, intro), (ankle.start, drill), (ankle.start, again)])


@pytest.mark.slow
def test_a_stream_waiting_for_its_clips_says_nothing_on_a_real_time_device(tmp_path, routine):
    """Clips slower than the session: the stream waits at chapter ends and the sound card
    underruns, harmlessly; ALSA's own lines would land over the live line."""
    expected = session(routine, "ankle-circle").timeline()
    started = time.monotonic()
    with pulse_sink(tmp_path / "pulse") as env:
        played = subprocess.run(
            fixture_player(write_routine(tmp_path), "--slow", "--only", "ankle-circle"),
            env={**player_environment(), **env},
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert played.returncode == 0 and played.stderr == ""
    assert time.monotonic() - started > expected.script.duration  # it played in real time
