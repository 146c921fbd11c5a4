"""The media controls over MPRIS2, on a private session bus: methods arrive as the player's
keys, the properties follow the statuses shown, the signals go out when they change, the names
are taken and released; and without a bus there is no player, quickly and silently.

A method's key is queued before its reply is sent, so once `dbus-send --print-reply` returns,
reading with no wait tells whether a key came."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
import xml.etree.ElementTree as ET

import pytest
from jeepney.wrappers import DBusErrorResponse
from support.bus import TIMEOUT, BusClient, private_bus
from support.devices import session, write_routine

from coach.playback.mpris import (
    BUS_NAME,
    CONNECT_TIMEOUT,
    PLAYER,
    PROPERTIES,
    ROOT,
    open_mpris,
)
from coach.playback.player import Player
from coach.playback.status import status_at
from coach.routine.loading import load_routine
from coach.samples import SAMPLE_RATE


@pytest.fixture(scope="module")
def bus_address():
    with private_bus() as address:
        yield address


@pytest.fixture
def bus(bus_address, monkeypatch):
    """The private bus as this process's session bus (and dbus-send's, which inherits it)."""
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bus_address)
    return bus_address


@pytest.fixture
def client(bus):
    client = BusClient(bus)
    yield client
    client.close()


@pytest.fixture(scope="module")
def script(stand_in_session):
    return stand_in_session().script


@pytest.fixture
def player(bus):
    player = open_mpris("Leg mobility for runners")
    assert player is not None
    with player:
        yield player


def dbus_send(destination: str, member: str, *args: str, reply: bool = True) -> str:
    """Call a Player method as a media key daemon would, with the real dbus-send."""
    answer = "--print-reply" if reply else "--type=method_call"  # no reply asked for
    command = ["dbus-send", "--session", answer, f"--dest={destination}",
               "/org/mpris/MediaPlayer2", f"{PLAYER}.{member}", *args]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=True)
    return done.stdout


def playing(script, chapter: int, seconds: float = 0.5, paused: bool = False):
    """The status `seconds` into chapter number `chapter` of `script`."""
    start = script.chapters[chapter].start
    return status_at(script, start + round(seconds * SAMPLE_RATE), paused)


# --- methods as keys ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("member", "key"), [("Next", "n"), ("Previous", "p"), ("PlayPause", " "), ("Stop", "q")]
)
def test_each_control_arrives_as_its_key(player, script, member, key):
    player.show(playing(script, 2))
    dbus_send(player.bus_name, member)
    assert player.read(0) == key
    assert player.read(0) is None  # one key per call


def test_play_and_pause_send_the_toggle_only_when_it_changes_something(player, script):
    player.show(playing(script, 1))
    dbus_send(player.bus_name, "Play")
    assert player.read(0) is None  # playing already
    dbus_send(player.bus_name, "Pause")
    assert player.read(0) == " "
    player.show(playing(script, 1, paused=True))
    dbus_send(player.bus_name, "Pause")
    assert player.read(0) is None  # paused already
    dbus_send(player.bus_name, "Play")
    assert player.read(0) == " "


def test_a_call_that_wants_no_reply_still_arrives(player, script):
    player.show(playing(script, 1))
    dbus_send(player.bus_name, "Next", reply=False)
    assert player.read(TIMEOUT) == "n"


def test_seek_set_position_open_uri_raise_and_quit_are_accepted_and_do_nothing(
    player, script, client
):
    player.show(playing(script, 1))
    client.call(player.bus_name, PLAYER, "Seek", "x", (5_000_000,))
    client.call(player.bus_name, PLAYER, "SetPosition", "ox", ("/org/coach/chapter/1", 0))
    client.call(player.bus_name, PLAYER, "OpenUri", "s", ("file:///tmp/x.mp3",))
    client.call(player.bus_name, ROOT, "Raise")
    client.call(player.bus_name, ROOT, "Quit")
    assert player.read(0) is None


def test_an_unknown_method_or_object_is_an_error(player, client):
    with pytest.raises(DBusErrorResponse, match="UnknownMethod"):
        client.call(player.bus_name, PLAYER, "Shuffle")
    with pytest.raises(DBusErrorResponse, match="UnknownObject"):
        client.call(player.bus_name, PLAYER, "Next", path="/org/elsewhere")


# --- properties -----------------------------------------------------------------------


def test_metadata_follows_the_chapters_shown(player, script, client):
    titles = []
    for number, chapter in enumerate(script.chapters):
        player.show(playing(script, number))
        kind, metadata = client.get(player.bus_name, PLAYER, "Metadata")
        assert kind == "a{sv}"
        assert metadata["mpris:trackid"] == ("o", f"/org/coach/chapter/{number}")
        length = round((chapter.end - chapter.start) / SAMPLE_RATE * 1_000_000)
        assert metadata["mpris:length"] == ("x", length)
        assert metadata["xesam:album"] == ("s", "Leg mobility for runners")
        assert metadata["xesam:artist"] == ("as", ["coach"])
        titles.append(metadata["xesam:title"][1])
    assert titles[0] == "Intro" and titles[-1] == "Outro"
    assert titles[3] == "Drill 3 of 9: Overhead lunge walk"
    drills = [c.title for c in script.chapters[1:-1]]
    assert titles[1:-1] == [f"Drill {n} of 9: {t}" for n, t in enumerate(drills, start=1)]


def test_playback_status_and_position_follow_the_statuses(player, script, client):
    assert client.get(player.bus_name, PLAYER, "PlaybackStatus") == ("s", "Stopped")
    player.show(playing(script, 2, seconds=2.0))
    assert client.get(player.bus_name, PLAYER, "PlaybackStatus") == ("s", "Playing")
    kind, position = client.get(player.bus_name, PLAYER, "Position")
    assert kind == "x" and abs(position - 2_000_000) <= 1
    player.show(playing(script, 2, seconds=3.0, paused=True))
    assert client.get(player.bus_name, PLAYER, "PlaybackStatus") == ("s", "Paused")
    assert abs(client.get(player.bus_name, PLAYER, "Position")[1] - 3_000_000) <= 1


SPEC_TYPES = {
    ROOT: {"CanQuit": "b", "CanRaise": "b", "HasTrackList": "b", "Identity": "s",
           "SupportedUriSchemes": "as", "SupportedMimeTypes": "as"},
    PLAYER: {"PlaybackStatus": "s", "Rate": "d", "Metadata": "a{sv}", "Volume": "d",
             "Position": "x", "MinimumRate": "d", "MaximumRate": "d", "CanGoNext": "b",
             "CanGoPrevious": "b", "CanPlay": "b", "CanPause": "b", "CanSeek": "b",
             "CanControl": "b"},
}  # fmt: skip
"""The properties the MPRIS2 spec asks of each interface (the optional ones left out), with
their D-Bus types."""


def test_get_all_gives_the_spec_s_properties_with_their_types(player, script, client):
    player.show(playing(script, 1))
    for interface, types in SPEC_TYPES.items():
        (values,) = client.call(player.bus_name, PROPERTIES, "GetAll", "s", (interface,))
        assert {name: kind for name, (kind, _) in values.items()} == types
    (root,) = client.call(player.bus_name, PROPERTIES, "GetAll", "s", (ROOT,))
    assert {name: value for name, (_, value) in root.items()} == {
        "CanQuit": False, "CanRaise": False, "HasTrackList": False, "Identity": "coach",
        "SupportedUriSchemes": [], "SupportedMimeTypes": [],
    }  # fmt: skip
    (values,) = client.call(player.bus_name, PROPERTIES, "GetAll", "s", (PLAYER,))
    controls = {name: value for name, (_, value) in values.items() if name.startswith("Can")}
    assert controls == {"CanGoNext": True, "CanGoPrevious": True, "CanPlay": True,
                        "CanPause": True, "CanSeek": False, "CanControl": True}  # fmt: skip
    rates = [values[name][1] for name in ("Rate", "MinimumRate", "MaximumRate", "Volume")]
    assert rates == [1.0, 1.0, 1.0, 1.0]


def test_set_is_ignored_for_rate_and_volume_and_refused_otherwise(player, client):
    client.call(player.bus_name, PROPERTIES, "Set", "ssv", (PLAYER, "Volume", ("d", 0.5)))
    assert client.get(player.bus_name, PLAYER, "Volume") == ("d", 1.0)
    with pytest.raises(DBusErrorResponse, match="PropertyReadOnly"):
        client.call(player.bus_name, PROPERTIES, "Set", "ssv",
                    (PLAYER, "PlaybackStatus", ("s", "Playing")))  # fmt: skip
    with pytest.raises(DBusErrorResponse, match="UnknownProperty"):
        client.get(player.bus_name, PLAYER, "Shuffle")
    with pytest.raises(DBusErrorResponse, match="UnknownInterface"):
        client.call(player.bus_name, PROPERTIES, "GetAll", "s", ("org.example.Nothing",))


def test_introspect_describes_the_object_in_xml(player, client):
    (xml,) = client.call(player.bus_name, "org.freedesktop.DBus.Introspectable", "Introspect")
    interfaces = {i.get("name"): i for i in ET.fromstring(xml).iter("interface")}
    assert {ROOT, PLAYER, PROPERTIES, "org.freedesktop.DBus.Introspectable"} <= set(interfaces)
    methods = {m.get("name") for m in interfaces[PLAYER].iter("method")}
    assert methods == {"Next", "Previous", "Pause", "PlayPause", "Stop", "Play", "Seek",
                       "SetPosition", "OpenUri"}  # fmt: skip
    declared = {p.get("name"): p.get("type") for p in interfaces[PLAYER].iter("property")}
    assert declared == SPEC_TYPES[PLAYER]
    (root,) = client.call(player.bus_name, "org.freedesktop.DBus.Introspectable", "Introspect",
                          path="/")  # fmt: skip
    assert [n.get("name") for n in ET.fromstring(root).iter("node")][1:] == ["org"]


# --- signals --------------------------------------------------------------------------


def test_properties_changed_goes_out_on_a_chapter_change_and_a_pause_only(player, script, client):
    with client.signals(PROPERTIES, "PropertiesChanged") as arrived:
        player.show(playing(script, 1))
        interface, changed, invalidated = client.next_signal(arrived).body
        assert interface == PLAYER and invalidated == []
        assert changed["PlaybackStatus"] == ("s", "Playing")
        assert changed["Metadata"][1]["xesam:title"] == ("s", "Drill 1 of 9: Ankle mobility")
        player.show(playing(script, 1, seconds=1.0))  # the position only: no signal
        player.show(playing(script, 2))
        _, changed, _ = client.next_signal(arrived).body
        assert set(changed) == {"Metadata"}
        assert changed["Metadata"][1]["xesam:title"] == ("s", "Drill 2 of 9: Walking butt kick")
        player.show(playing(script, 2, paused=True))
        _, changed, _ = client.next_signal(arrived).body
        assert changed == {"PlaybackStatus": ("s", "Paused")}


def test_a_jump_back_within_a_chapter_is_seeked(player, script, client):
    with client.signals(PLAYER, "Seeked") as arrived:
        player.show(playing(script, 3, seconds=20.0))
        player.show(playing(script, 3, seconds=0.0))  # the drill restarted
        (position,) = client.next_signal(arrived).body
        assert position == 0


# --- names and the bus ------------------------------------------------------------------


def test_a_second_player_takes_the_instance_name_and_close_releases_both(bus, client):
    first = open_mpris("one")
    second = open_mpris("two")
    instance = f"{BUS_NAME}.instance{os.getpid()}"
    assert (first.bus_name, second.bus_name) == (BUS_NAME, instance)
    assert client.has_owner(BUS_NAME) and client.has_owner(instance)
    first.close()
    assert not client.has_owner(BUS_NAME)
    assert client.get(instance, ROOT, "Identity") == ("s", "coach")
    second.close()
    assert not client.has_owner(instance)


@pytest.mark.parametrize("address", [None, "unix:path=/nonexistent/bus", "tcp:host=localhost"])
def test_no_session_bus_means_no_player(monkeypatch, address):
    if address is None:
        monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    else:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
    started = time.monotonic()
    assert open_mpris("Leg mobility for runners") is None
    assert time.monotonic() - started < 0.5


@pytest.mark.slow  # waits out the connect timeout
def test_a_bus_that_never_answers_means_no_player_within_the_connect_timeout(monkeypatch, tmp_path):
    with socket.socket(socket.AF_UNIX) as silent:
        silent.bind(str(tmp_path / "bus"))
        silent.listen()
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'bus'}")
        started = time.monotonic()
        assert open_mpris("Leg mobility for runners") is None
        assert time.monotonic() - started < CONNECT_TIMEOUT + 1.0


def test_a_bus_that_goes_away_neither_breaks_the_display_nor_holds_up_close(monkeypatch, script):
    with private_bus() as address:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        player = open_mpris("Leg mobility for runners")
        player.show(playing(script, 1))
    player._thread.join(TIMEOUT)  # the bus thread sees the bus go and ends
    assert not player._thread.is_alive()
    for chapter in (2, 3):
        player.show(playing(script, chapter))
    started = time.monotonic()
    player.close()
    assert time.monotonic() - started < 0.5


# --- with the player ----------------------------------------------------------------------


class Output:
    """Takes the samples at once, like a file, and drops them: the player keeps time by the
    clock."""

    def play(self, pcm: bytes) -> None:
        pass

    def stop(self) -> None:
        pass

    def busy(self) -> bool:
        return False

    def heard(self) -> None:
        return None


def test_the_player_steered_over_the_bus(bus, client, tmp_path):
    """The player as it is, with an MprisPlayer as its keys and its display: paused from the
    start (the key waits in the queue), moved to the next drill, stopped, all from another
    program on the bus."""
    timeline = session(load_routine(write_routine(tmp_path))).timeline()
    mpris = open_mpris(timeline.script.routine)
    player = Player(timeline, Output(), keys=mpris, display=mpris)
    with client.signals(PROPERTIES, "PropertiesChanged") as arrived, mpris:
        dbus_send(mpris.bus_name, "PlayPause")
        running = threading.Thread(target=player.run, daemon=True)
        running.start()
        _, changed, _ = client.next_signal(arrived).body
        assert changed["PlaybackStatus"] == ("s", "Playing")
        assert changed["Metadata"][1]["xesam:title"] == ("s", "Intro")
        _, changed, _ = client.next_signal(arrived).body
        assert changed == {"PlaybackStatus": ("s", "Paused")}
        dbus_send(mpris.bus_name, "Next")
        _, changed, _ = client.next_signal(arrived).body
        assert changed["PlaybackStatus"] == ("s", "Playing")
        assert changed["Metadata"][1]["xesam:title"][1].startswith("Drill 1 of 2: ")
        dbus_send(mpris.bus_name, "Stop")
        running.join(TIMEOUT)
        assert not running.is_alive()
