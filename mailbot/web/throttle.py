"""Login throttling: too many failures for one name or one client address → wait.

The counters live **in memory**, in the one ``mailbot serve`` process (uvicorn
runs a single worker). That is enough to stop password guessing against the
console; a restart forgets them, which an attacker cannot trigger from outside.
If the console ever runs several processes, each keeps its own counters, so the
effective limit is multiplied by the number of processes.

Counting per name stops guessing one agent's password from many addresses;
counting per client address stops trying one password against many names. A
successful login clears the name's counter but not the address's.

The client address is the TCP peer unless ``[web] trusted_proxies`` names the
proxy in front (``mailbot serve`` tells uvicorn): otherwise anyone could send a
new ``X-Forwarded-For`` with every guess and never be counted.

Memory is bounded: a name is counted by its first ``MAX_NAME_CHARS`` characters
(agent names are at most 64), and the table keeps at most ``max_keys`` keys,
forgetting the longest-quiet ones first.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60
MAX_KEYS = 10_000
MAX_NAME_CHARS = 64


@dataclass
class LoginThrottle:
    """Sliding window of failure times per key; blocked while a key has ``max_failures``."""

    max_failures: int = MAX_FAILURES
    window_seconds: float = WINDOW_SECONDS
    clock: Callable[[], float] = time.monotonic
    max_keys: int = MAX_KEYS
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - self.window_seconds:
            times.popleft()
        if not times:
            del self._failures[key]
        return times

    def retry_after(self, *keys: str) -> float:
        """Seconds until a login for these keys is allowed again (0: allowed now)."""
        now = self.clock()
        wait = 0.0
        with self._lock:
            for key in keys:
                times = self._recent(key, now)
                if len(times) >= self.max_failures:
                    # Allowed again once enough of the failures have left the window.
                    oldest_that_counts = times[len(times) - self.max_failures]
                    wait = max(wait, oldest_that_counts + self.window_seconds - now)
        return wait

    def failed(self, *keys: str) -> None:
        now = self.clock()
        with self._lock:
            for key in keys:
                # Re-inserted at the end: the dict's order is then "least recently failed first".
                times = self._failures.pop(key, None) or deque(maxlen=self.max_failures)
                times.append(now)
                self._failures[key] = times
            if len(self._failures) > self.max_keys:
                for key in list(self._failures):
                    self._recent(key, now)  # expired first
            while len(self._failures) > self.max_keys:
                del self._failures[next(iter(self._failures))]

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def keys(self) -> list[str]:
        """The keys being counted (for status and tests)."""
        with self._lock:
            return list(self._failures)


def name_key(name: str) -> str:
    return "name:" + name.strip().lower()[:MAX_NAME_CHARS]


def client_key(host: str | None) -> str:
    return "client:" + (host or "unknown")
