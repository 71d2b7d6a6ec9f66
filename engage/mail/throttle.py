"""A send-rate throttle shared by every mail worker: a token bucket in Redis.

Each caller reserves the tokens it needs in one atomic script and is told how long to wait before
using them, so N workers together never exceed ENGAGE_MAIL_RATE_PER_SECOND (with a burst of one
second's worth). Without Redis (the embedded setup runs one worker) the bucket lives in-process.
"""

import threading
import time

import redis
from django.conf import settings

_BUCKET_KEY = "engage:mail:throttle"

# Reservation-style bucket: tokens may go negative; the caller sleeps until they would be back.
# The clock is Redis's own, so workers on machines with drifting clocks still agree.
_RESERVE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local data = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(data[1]) or burst
local ts = tonumber(data[2]) or now
tokens = math.min(burst, tokens + (now - ts) * rate) - n
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], 3600)
if tokens >= 0 then return '0' end
return tostring(-tokens / rate)
"""


def _redis_url() -> str:
    url = getattr(settings, "ENGAGE_MAIL_THROTTLE_URL", "") or settings.REDIS_URL
    if not url and settings.CELERY_BROKER_URL.startswith("redis"):
        url = settings.CELERY_BROKER_URL
    return url


class _LocalBucket:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.tokens: float | None = None
        self.ts = 0.0

    def reserve(self, rate: float, burst: float, n: int) -> float:
        with self.lock:
            now = time.monotonic()
            tokens = burst if self.tokens is None else self.tokens
            tokens = min(burst, tokens + (now - self.ts) * rate) - n
            self.tokens, self.ts = tokens, now
            return 0.0 if tokens >= 0 else -tokens / rate


_local = _LocalBucket()
_scripts: dict[str, object] = {}


def throttle_reserve(n: int) -> float:
    """Reserve `n` sends; returns the seconds to wait before making them (0 when within rate)."""
    rate = float(settings.ENGAGE_MAIL_RATE_PER_SECOND)
    if rate <= 0:
        return 0.0
    burst = max(rate, float(n))
    url = _redis_url()
    if not url:
        return _local.reserve(rate, burst, n)
    script = _scripts.get(url)
    if script is None:
        script = redis.Redis.from_url(url, socket_timeout=5).register_script(_RESERVE)
        _scripts[url] = script
    return float(script(keys=[_BUCKET_KEY], args=[rate, burst, n]))


def throttle_wait(n: int) -> None:
    """Block until `n` more sends fit within the shared rate."""
    delay = throttle_reserve(n)
    if delay > 0:
        time.sleep(delay)
