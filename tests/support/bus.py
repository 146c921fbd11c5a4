"""A private D-Bus session bus and a client on it, for the media controls' tests: the client
calls the player and watches its signals as a desktop's media widget or `playerctl` does."""

from __future__ import annotations

import select
import subprocess
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

from jeepney import DBusAddress, MatchRule, Message, message_bus, new_method_call
from jeepney.io.blocking import open_dbus_connection
from jeepney.wrappers import unwrap_msg

from coach.playback.mpris import OBJECT_PATH, PROPERTIES

TIMEOUT = 5.0
"""Seconds any wait on the bus may take before the test fails."""


@contextmanager
def private_bus() -> Iterator[str]:
    """A `dbus-daemon --session` of its own, for the duration: yields its address."""
    daemon = subprocess.Popen(
        ["dbus-daemon", "--session", "--print-address", "--nofork"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        ready, _, _ = select.select([daemon.stdout], [], [], TIMEOUT)
        assert ready, f"dbus-daemon printed no address within {TIMEOUT} s"
        yield daemon.stdout.readline().strip()
    finally:
        daemon.kill()
        daemon.wait(TIMEOUT)
        daemon.stdout.close()


class BusClient:
    """Another program on the bus: calls methods, reads properties, waits for signals; every
    wait bounded by TIMEOUT."""

    def __init__(self, address: str) -> None:
        self.connection = open_dbus_connection(address)

    def call(
        self, destination: str, interface: str, member: str, signature: str | None = None,
        body: tuple = (), path: str = OBJECT_PATH,
    ) -> tuple:  # fmt: skip
        """The reply's body; DBusErrorResponse for an error."""
        target = DBusAddress(path, bus_name=destination, interface=interface)
        message = new_method_call(target, member, signature, body)
        return unwrap_msg(self.connection.send_and_get_reply(message, timeout=TIMEOUT))

    def get(self, destination: str, interface: str, name: str) -> tuple[str, object]:
        """A property as a variant: (its D-Bus type, its value)."""
        (variant,) = self.call(destination, PROPERTIES, "Get", "ss", (interface, name))
        return variant

    def has_owner(self, name: str) -> bool:
        message = message_bus.NameHasOwner(name)
        (owned,) = unwrap_msg(self.connection.send_and_get_reply(message, timeout=TIMEOUT))
        return owned

    @contextmanager
    def signals(self, interface: str, member: str) -> Iterator[deque[Message]]:
        """Subscribes to a signal of the player's object for the duration: yields the queue
        that `next_signal` takes them from."""
        rule = MatchRule(type="signal", interface=interface, member=member, path=OBJECT_PATH)
        self.connection.send_and_get_reply(message_bus.AddMatch(rule), timeout=TIMEOUT)
        with self.connection.filter(rule, bufsize=100) as arrived:
            yield arrived

    def next_signal(self, arrived: deque[Message]) -> Message:
        """The next signal subscribed to, waiting for it (TimeoutError past TIMEOUT)."""
        return self.connection.recv_until_filtered(arrived, timeout=TIMEOUT)

    def close(self) -> None:
        self.connection.close()
