"""Who gives way when a socket server is full: its connections by client address, least recently active first.

A crowd (a class, or one client's flood of idle connections) must cost a server neither its life nor its
newcomers. A server holds at most `limit` connections in all and `per_address` from one address; a newcomer past
either cap takes the place of the longest-idle connection, of its own address first, so a flooder evicts only its
own connections and a full room makes way for a newcomer instead of refusing everyone until the idle timeout.

Behind one NAT, and behind docker-proxy (compose's published ports on 127.0.0.1), a whole class shares one
address: PER_ADDRESS holds a class of 200 with room to spare, and there eviction (not refusal) keeps newcomers
served even though the cap cannot tell the flooder from them.
"""

from typing import Generic, TypeVar

PER_ADDRESS = 256  # connections one client address may hold at once: a class behind one NAT fits

Key = TypeVar("Key")


class Room(Generic[Key]):
    """The connections a server holds (any hashable key), each with its address and the time of its last activity."""

    def __init__(self, limit: int, per_address: int = PER_ADDRESS):
        self.limit = limit
        self.per_address = per_address
        self._since: dict[Key, float] = {}  # least recently active first
        self._address: dict[Key, str] = {}
        self._by_address: dict[str, dict[Key, None]] = {}  # each address's keys, least recently active first

    def __len__(self) -> int:
        return len(self._since)

    def __contains__(self, key: Key) -> bool:
        return key in self._since

    def enter(self, key: Key, address: str, now: float) -> None:
        """A newcomer, the most recently active; make_room() first when it must not exceed the caps."""
        self._address[key] = address
        self._by_address.setdefault(address, {})[key] = None
        self._since[key] = now

    def touch(self, key: Key, now: float) -> None:
        """`key` was active: it becomes the last to be evicted or to time out."""
        del self._since[key]
        self._since[key] = now
        mine = self._by_address[self._address[key]]
        del mine[key]
        mine[key] = None

    def leave(self, key: Key) -> None:
        """`key` is gone (closed, evicted, or no longer counted); unknown keys are ignored."""
        if self._since.pop(key, None) is None:
            return
        address = self._address.pop(key)
        mine = self._by_address[address]
        del mine[key]
        if not mine:
            del self._by_address[address]

    def oldest(self) -> tuple[Key, float] | None:
        """The longest-idle connection and the time of its last activity, or None when the room is empty."""
        return next(iter(self._since.items()), None)

    def make_room(self, address: str, full: bool = False) -> tuple[Key, str] | None:
        """The connection a newcomer from `address` displaces, removed from the room, and why (for the log); None
        when there is room. Its own address's longest idle when that address holds per_address, else (the room
        holds `limit`, or the caller says it is `full`) the longest idle of all."""
        mine = self._by_address.get(address, {})
        if len(mine) >= self.per_address:
            victim, why = next(iter(mine)), f"longest idle of the {self.per_address} connections from {address}"
        elif self._since and (full or len(self._since) >= self.limit):
            victim, why = next(iter(self._since)), f"longest idle of {self.limit} connections"
        else:
            return None
        self.leave(victim)
        return victim, why
