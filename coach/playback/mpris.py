"""Media controls over MPRIS2: the session's player on the session D-Bus, so headset buttons,
media keys, the desktop's media widgets and `playerctl` steer a session and show its drill.

An `MprisPlayer` plugs into the player as it is: it is a key source whose keys come from
D-Bus method calls (PlayPause, Next, Previous, Stop...), and a display whose `show` keeps the
MPRIS properties (PlaybackStatus, Metadata, Position) and signals their changes. One daemon
thread answers the bus; `show` runs on the player's thread; keys cross over in a queue.
Without a session bus there are no media controls, and nothing is said: `open_mpris` gives
None. Every wait is bounded, so a bus that went away or hangs never holds the session up.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from typing import TYPE_CHECKING

from jeepney import (
    DBusAddress,
    HeaderFields,
    Message,
    MessageFlag,
    MessageType,
    message_bus,
    new_error,
    new_method_return,
    new_signal,
)
from jeepney.io.threading import DBusConnection, ReceiveStopped, open_dbus_connection
from jeepney.wrappers import DBusErrorResponse, unwrap_msg

from coach.compose.script import ChapterKind
from coach.samples import SAMPLE_RATE

if TYPE_CHECKING:
    from coach.playback.status import Status

BUS_NAME = "org.mpris.MediaPlayer2.coach"
"""The name media keys look for; a second coach playing takes `BUS_NAME.instance<PID>`."""
OBJECT_PATH = "/org/mpris/MediaPlayer2"
ROOT, PLAYER = "org.mpris.MediaPlayer2", "org.mpris.MediaPlayer2.Player"
PROPERTIES = "org.freedesktop.DBus.Properties"
INTROSPECTABLE = "org.freedesktop.DBus.Introspectable"
NO_TRACK = "/org/mpris/MediaPlayer2/TrackList/NoTrack"
"""The spec's track id for "nothing playing": before the first `show`."""

CONNECT_TIMEOUT = 1.0
"""Seconds to connect and authenticate to the bus: past it, no media controls. (jeepney gives
the bus's greeting after that 10 s more, for a bus that lets one in and then never answers.)"""
CALL_TIMEOUT = 2.0
"""Seconds to wait for the bus daemon's answer to a call (asking for and releasing the name)."""
SEND_TIMEOUT = 1.0
"""Seconds a message may take to leave: a bus that stops reading cannot stall the player."""

_METHODS = {
    ROOT: {"Raise": ("", ""), "Quit": ("", "")},
    PLAYER: dict.fromkeys(("Next", "Previous", "Pause", "PlayPause", "Stop", "Play"), ("", ""))
    | {"Seek": ("x", ""), "SetPosition": ("ox", ""), "OpenUri": ("s", "")},
    PROPERTIES: {"Get": ("ss", "v"), "GetAll": ("s", "a{sv}"), "Set": ("ssv", "")},
    INTROSPECTABLE: {"Introspect": ("", "s")},
}
"""Every method served: (its arguments, basic types one a letter; its one result or ""), for
the dispatch and the introspection."""
_KEYS = {"PlayPause": " ", "Next": "n", "Previous": "p", "Stop": "q"}
"""The player's key for each method that always has one."""
_TOGGLES = {("Play", "Paused"), ("Pause", "Playing")}
"""(method, PlaybackStatus) where Play or Pause sends the pause key: only when it changes the
state, since the key toggles."""
_WRITABLE = {"Rate", "Volume"}
"""Writable by the spec; coach plays at one rate and volume, so a new value is ignored."""


class _Properties:
    """The MPRIS properties, kept from the statuses shown: the player's state as clients see it.
    Only what MPRIS signals (PlaybackStatus, Metadata) counts as a change; Position is read."""

    def __init__(self, routine_name: str) -> None:
        self.routine_name = routine_name
        self.playback_status = "Stopped"
        self.metadata: dict[str, tuple[str, object]] = {"mpris:trackid": ("o", NO_TRACK)}
        self.position = 0
        """µs into the chapter."""

    def update(self, status: Status) -> tuple[dict[str, tuple[str, object]], bool]:
        """Take `status`: (the signalled properties that changed, as variants; whether the
        position jumped back within the chapter, as a restart or a resume does)."""
        chapter = status.chapter
        length = _microseconds((chapter.end - chapter.start) / SAMPLE_RATE)
        position = max(0, length - _microseconds(status.chapter_left))
        number = {ChapterKind.INTRO: 0, ChapterKind.OUTRO: status.drill_count + 1}.get(
            chapter.kind, status.drill_number
        )
        metadata = {
            "mpris:trackid": ("o", f"/org/coach/chapter/{number}"),
            "mpris:length": ("x", length),
            "xesam:title": ("s", status.part),
            "xesam:album": ("s", self.routine_name),
            "xesam:artist": ("as", ["coach"]),
        }
        playback_status = "Paused" if status.paused else "Playing"
        changed = {}
        if playback_status != self.playback_status:
            changed["PlaybackStatus"] = ("s", playback_status)
        if metadata != self.metadata:
            changed["Metadata"] = ("a{sv}", metadata)
        jumped_back = metadata == self.metadata and position < self.position
        self.playback_status, self.metadata, self.position = playback_status, metadata, position
        return changed, jumped_back

    def of(self, interface: str) -> dict[str, tuple[str, object]] | None:
        """Every property of `interface`, as variants; None for an interface without any."""
        if interface == ROOT:
            return {
                "CanQuit": ("b", False), "CanRaise": ("b", False), "HasTrackList": ("b", False),
                "Identity": ("s", "coach"),
                "SupportedUriSchemes": ("as", []), "SupportedMimeTypes": ("as", []),
            }  # fmt: skip
        if interface == PLAYER:
            return {
                "PlaybackStatus": ("s", self.playback_status),
                "Rate": ("d", 1.0), "MinimumRate": ("d", 1.0), "MaximumRate": ("d", 1.0),
                "Metadata": ("a{sv}", self.metadata),
                "Volume": ("d", 1.0),
                "Position": ("x", self.position),
                "CanGoNext": ("b", True), "CanGoPrevious": ("b", True), "CanPlay": ("b", True),
                "CanPause": ("b", True), "CanSeek": ("b", False), "CanControl": ("b", True),
            }  # fmt: skip
        return None


def _microseconds(seconds: float) -> int:
    return round(seconds * 1_000_000)


def _introspection(properties: _Properties) -> str:
    """The object's description for Introspect, from the methods and properties served."""
    lines = [
        '<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"',
        ' "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">',
        "<node>",
    ]
    signals = {PLAYER: '<signal name="Seeked"><arg type="x"/></signal>',
               PROPERTIES: '<signal name="PropertiesChanged"><arg type="s"/><arg type="a{sv}"/>'
                           '<arg type="as"/></signal>'}  # fmt: skip
    for interface, methods in _METHODS.items():
        lines.append(f'<interface name="{interface}">')
        for name, (ins, out) in methods.items():
            args = [f'<arg direction="in" type="{t}"/>' for t in ins]
            args += [f'<arg direction="out" type="{out}"/>'] if out else []
            lines.append(f'<method name="{name}">{"".join(args)}</method>')
        for name, (signature, _) in (properties.of(interface) or {}).items():
            access = "readwrite" if name in _WRITABLE else "read"
            lines.append(f'<property name="{name}" type="{signature}" access="{access}"/>')
        lines += [signals[interface]] if interface in signals else []
        lines.append("</interface>")
    return "\n".join([*lines, "</node>"])


class MprisPlayer:
    """The session as an MPRIS2 player: a KeySource fed by media controls, and a Display that
    keeps and signals the properties. Close it (or use it as a context manager) to leave the
    bus: the name is released and the thread stopped."""

    def __init__(self, connection: DBusConnection, bus_name: str, routine_name: str) -> None:
        self.connection, self.bus_name = connection, bus_name
        self.properties = _Properties(routine_name)
        self.keys: queue.Queue[str] = queue.Queue()
        self._lock = threading.Lock()
        """Guards the properties: shown on the player's thread, read on the bus thread."""
        self._gone = False
        """Whether the bus failed a send: then nothing more is sent."""
        self._thread = threading.Thread(target=self._answer_calls, name="mpris", daemon=True)
        self._thread.start()

    # --- KeySource and Display: the player's side -------------------------------------

    def read(self, timeout: float) -> str | None:
        """The next key a media control sent within `timeout` seconds, or None."""
        try:
            return self.keys.get(timeout=max(0.0, timeout))
        except queue.Empty:
            return None

    def show(self, status: Status) -> None:
        """Keep the properties of `status`; signal PlaybackStatus and Metadata when they change,
        and Seeked when the position jumped back within a chapter."""
        with self._lock:
            changed, jumped_back = self.properties.update(status)
            position = self.properties.position
        if changed:
            emitter = DBusAddress(OBJECT_PATH, interface=PROPERTIES)
            self._send(new_signal(emitter, "PropertiesChanged", "sa{sv}as", (PLAYER, changed, [])))
        if jumped_back:
            self._send(new_signal(DBusAddress(OBJECT_PATH, interface=PLAYER), "Seeked", "x",
                                  (position,)))  # fmt: skip

    def close(self) -> None:
        """Stop answering, release the name and close the connection; bounded even when the
        bus went away."""
        self.connection.interrupt()
        self._thread.join(CALL_TIMEOUT)
        self.connection.reset_interrupt()
        if not self._gone:
            try:
                _call(self.connection, message_bus.ReleaseName(self.bus_name))
            except (OSError, ValueError, DBusErrorResponse):
                pass  # closing the connection releases it all the same
        self.connection.close()

    def __enter__(self) -> MprisPlayer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- the bus's side ------------------------------------------------------------------

    def _answer_calls(self) -> None:
        """Answer every method call until closed or the bus goes away."""
        while True:
            try:
                message = self.connection.receive()
            except ReceiveStopped:
                return
            except (OSError, ValueError):  # the bus went away, or sent what is not D-Bus
                self._gone = True
                return
            if message.header.message_type is MessageType.method_call:
                reply = self._answer(message)
                if not message.header.flags & MessageFlag.no_reply_expected:
                    self._send(reply)

    def _answer(self, call: Message) -> Message:
        """The reply to `call`; a key is queued for the player when the call asks for one."""
        fields = call.header.fields
        path, member = fields.get(HeaderFields.path), fields.get(HeaderFields.member)
        interface = fields.get(HeaderFields.interface) or next(
            (name for name, methods in _METHODS.items() if member in methods), None
        )
        if path != OBJECT_PATH:
            return _introspect_parent(call, path) if member == "Introspect" else new_error(
                call, "org.freedesktop.DBus.Error.UnknownObject", "s", (f"No object at {path}",)
            )  # fmt: skip
        if member not in _METHODS.get(interface, {}):
            return new_error(call, "org.freedesktop.DBus.Error.UnknownMethod", "s",
                             (f"No method {interface}.{member}",))  # fmt: skip
        if interface == PROPERTIES:
            return self._answer_properties(call, member)
        if interface == INTROSPECTABLE:
            with self._lock:
                return new_method_return(call, "s", (_introspection(self.properties),))
        if interface == PLAYER:
            with self._lock:
                state = self.properties.playback_status
            key = _KEYS.get(member) or (" " if (member, state) in _TOGGLES else None)
            if key:
                self.keys.put(key)
        return new_method_return(call)  # Raise, Quit, Seek, SetPosition, OpenUri: no effect

    def _answer_properties(self, call: Message, member: str) -> Message:
        """Get, GetAll and Set of org.freedesktop.DBus.Properties."""
        interface, name = (call.body + ("", ""))[:2]
        with self._lock:
            values = self.properties.of(interface)
        if values is None:
            return new_error(call, "org.freedesktop.DBus.Error.UnknownInterface", "s",
                             (f"No properties on {interface}",))  # fmt: skip
        if member == "GetAll":
            return new_method_return(call, "a{sv}", (values,))
        if name not in values:
            return new_error(call, "org.freedesktop.DBus.Error.UnknownProperty", "s",
                             (f"No property {interface}.{name}",))  # fmt: skip
        if member == "Get":
            return new_method_return(call, "v", (values[name],))
        if name in _WRITABLE:
            return new_method_return(call)
        return new_error(call, "org.freedesktop.DBus.Error.PropertyReadOnly", "s",
                         (f"{interface}.{name} is read-only",))  # fmt: skip

    def _send(self, message: Message) -> None:
        """Send unless the bus went away; a failure means it did, which ends the signalling
        but never the session."""
        if self._gone:
            return
        try:
            self.connection.send(message)
        except OSError:
            self._gone = True


def _introspect_parent(call: Message, path: str) -> Message:
    """Introspect on another path: above the object (/, /org...), its next node down, so tools
    that walk the tree from / find the player; elsewhere, an empty node."""
    prefix = path.rstrip("/") + "/"
    below = OBJECT_PATH[len(prefix) :].split("/")[0] if OBJECT_PATH.startswith(prefix) else ""
    node = f'<node name="{below}"/>' if below else ""
    return new_method_return(call, "s", (f"<node>{node}</node>",))


def _call(connection: DBusConnection, message: Message) -> tuple:
    """Call the bus daemon and wait, at most CALL_TIMEOUT, for its answer (while no thread
    receives on `connection`); what else arrives meanwhile is dropped."""
    deadline = time.monotonic() + CALL_TIMEOUT
    serial = next(connection.outgoing_serial)
    connection.send(message, serial=serial)
    while True:
        reply = connection.receive(timeout=max(0.0, deadline - time.monotonic()))
        if reply.header.fields.get(HeaderFields.reply_serial) == serial:
            return unwrap_msg(reply)


def open_mpris(routine_name: str) -> MprisPlayer | None:
    """The MPRIS player of a session of `routine_name`, on the session bus under BUS_NAME (or
    BUS_NAME.instance<PID> when another coach has it); None, silently, when there is no session
    bus, it cannot be reached in time, or neither name can be had."""
    try:
        connection = open_dbus_connection("SESSION", auth_timeout=CONNECT_TIMEOUT)
    except (KeyError, RuntimeError, ValueError, OSError, DBusErrorResponse):
        return None  # no DBUS_SESSION_BUS_ADDRESS, an address jeepney cannot use, no bus
    connection.sock.settimeout(SEND_TIMEOUT)
    try:
        for name in (BUS_NAME, f"{BUS_NAME}.instance{os.getpid()}"):
            (answer,) = _call(connection, message_bus.RequestName(name, flags=4))
            if answer in (1, 4):  # the primary owner now, or already
                return MprisPlayer(connection, name, routine_name)
    except (OSError, ValueError, DBusErrorResponse):
        pass
    connection.close()
    return None
