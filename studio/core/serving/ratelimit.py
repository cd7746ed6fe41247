"""Per-key rate limits: a token bucket per API key, refilled at the key's requests-per-minute rate, holding
at most one minute's worth (so a key may burst up to its limit, then goes at the rate). In memory: a limit
counts per server, and restarts with it."""

from __future__ import annotations

import threading
import time


class RateLimiter:
    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._buckets: dict[int, tuple[float, float]] = {}  # key id -> (tokens, last refill)
        self._lock = threading.Lock()

    def take(self, key_id: int, per_min: int) -> float:
        """0.0 when the request may go now (one token taken), else the seconds until it could."""
        rate = max(1, int(per_min)) / 60.0
        capacity = float(max(1, int(per_min)))
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(key_id, (capacity, now))
            tokens = min(capacity, tokens + (now - last) * rate)
            if tokens >= 1.0:
                self._buckets[key_id] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key_id] = (tokens, now)
            return (1.0 - tokens) / rate
