"""Login throttling: too many failures for one name or one client address → wait.

The counters live **in memory**, in the one ``mailbot serve`` process (uvicorn
runs a single worker). That is enough to stop password guessing against the
console; a restart forgets them, which an attacker cannot trigger from outside.
If the console ever runs several processes, each keeps its own counters, so the
effective limit is multiplied by the number of processes.

Counting per name stops guessing one agent's password from many addresses;
counting per client address stops trying one password against many names. A
successful login clears the name's counter but not the address's.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60
_MAX_KEYS = 10_000  # beyond this, forget keys whose failures have all expired


@dataclass
class LoginThrottle:
    """Sliding window of failure times per key; blocked while a key has ``max_failures``."""

    max_failures: int = MAX_FAILURES
    window_seconds: float = WINDOW_SECONDS
    clock: Callable[[], float] = time.monotonic
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
            if len(self._failures) > _MAX_KEYS:
                for key in list(self._failures):
                    self._recent(key, now)
            for key in keys:
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


def name_key(name: str) -> str:
    return "name:" + name.strip().lower()


def client_key(host: str | None) -> str:
    return "client:" + (host or "unknown")
