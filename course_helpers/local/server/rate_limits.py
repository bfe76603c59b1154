"""Per-learner rate limits (requests and tokens per minute) answered as OpenAI answers them.

``serve --learners FILE --rpm 20 --tpm 20000``: each learner's key may send
``rpm`` requests and use ``tpm`` tokens (prompt + completion) in any
60-second window. Every keyed request's response carries OpenAI's headers::

    x-ratelimit-limit-requests: 20        x-ratelimit-limit-tokens: 20000
    x-ratelimit-remaining-requests: 19    x-ratelimit-remaining-tokens: 19500
    x-ratelimit-reset-requests: 3s        x-ratelimit-reset-tokens: 41s

Past a limit the answer is a 429 with OpenAI's error body (type ``requests``
or ``tokens``, code ``rate_limit_exceeded``) and ``retry-after`` (whole
seconds until the window has room), which the openai SDK waits for before
retrying by itself. Tokens are counted from each reply's usage once it is
answered (OpenAI estimates them beforehand), so a request admitted under
the token limit may end above it; the next one then waits.

The same budget covers a learner's Realtime sessions (``/v1/realtime``, see
room.py): each ``response.create`` counts as a request, its tokens count
when it is done, and past a limit the event is refused with an ``error``
event instead of a 429 (the session stays open); ``rate_limits.updated``
(:meth:`RateLimits.snapshot`) reports the budget at the start of each response.

>>> limits = RateLimits(requests_per_minute=2, tokens_per_minute=None)
>>> limits.check("ada", now=0.0), limits.check("ada", now=1.0)
(None, None)
>>> refusal = limits.check("ada", now=2.0)
>>> refusal.status, refusal.type, refusal.headers["retry-after"], refusal.headers["x-ratelimit-reset-requests"]
(429, 'requests', '58', '58s')
"""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict, deque

from .errors import APIError

__all__ = ["WINDOW", "RateLimits", "reset_text"]

WINDOW = 60.0  # seconds: limits are per minute


def reset_text(seconds: float) -> str:
    """How OpenAI writes a reset time: ``17ms``, ``3s``, ``1m30s``.

    >>> reset_text(0.017), reset_text(3.2), reset_text(90)
    ('17ms', '3.2s', '1m30s')
    """
    if seconds < 1:
        return f"{max(round(seconds * 1000), 1)}ms"
    minutes, rest = divmod(seconds, 60)
    rest_text = f"{rest:.1f}".rstrip("0").rstrip(".") + "s"
    return f"{int(minutes)}m{rest_text}" if minutes else rest_text


class RateLimits:
    """Sliding one-minute windows of each learner's requests and tokens (thread-safe)."""

    def __init__(self, requests_per_minute: int | None, tokens_per_minute: int | None, window: float = WINDOW) -> None:
        self.rpm = requests_per_minute
        self.tpm = tokens_per_minute
        self.window = window  # seconds; tests shorten it
        self._requests: dict[str, deque[float]] = defaultdict(deque)
        self._tokens: dict[str, deque[tuple[float, int]]] = defaultdict(deque)
        self._lock = threading.RLock()  # check() builds its refusal's headers under it

    @property
    def active(self) -> bool:
        """Whether any limit is set."""
        return self.rpm is not None or self.tpm is not None

    def _forget(self, name: str, now: float) -> None:
        requests, tokens = self._requests[name], self._tokens[name]
        while requests and requests[0] <= now - self.window:
            requests.popleft()
        while tokens and tokens[0][0] <= now - self.window:
            tokens.popleft()

    def _tokens_used(self, name: str) -> int:
        return sum(count for _, count in self._tokens[name])

    def _token_reset(self, name: str, now: float) -> float:
        """Seconds until enough of the window's tokens expire to be under the limit again."""
        assert self.tpm is not None
        used = self._tokens_used(name)
        for stamp, count in self._tokens[name]:
            used -= count
            if used < self.tpm:
                return max(stamp + self.window - now, 0.0)
        return 0.0

    def _budgets(self, name: str, now: float) -> list[tuple[str, int, int, float]]:
        """(kind, limit, remaining, seconds until the oldest use leaves the window) of each limit set."""
        with self._lock:
            self._forget(name, now)
            found = []
            if self.rpm is not None:
                requests = self._requests[name]
                reset = requests[0] + self.window - now if requests else 0.0
                found.append(("requests", self.rpm, max(self.rpm - len(requests), 0), reset))
            if self.tpm is not None:
                tokens = self._tokens[name]
                reset = tokens[0][0] + self.window - now if tokens else 0.0
                found.append(("tokens", self.tpm, max(self.tpm - self._tokens_used(name), 0), reset))
            return found

    def snapshot(self, name: str, now: float | None = None) -> list[dict]:
        """The learner's limits as a Realtime ``rate_limits.updated`` event lists them (SDK RateLimit).

        >>> limits = RateLimits(requests_per_minute=3, tokens_per_minute=100)
        >>> limits.check("ada", now=0.0)
        >>> limits.snapshot("ada", now=15.0)[0]
        {'name': 'requests', 'limit': 3, 'remaining': 2, 'reset_seconds': 45.0}
        """
        now = time.monotonic() if now is None else now
        return [
            {"name": kind, "limit": limit, "remaining": remaining, "reset_seconds": round(reset, 3)}
            for kind, limit, remaining, reset in self._budgets(name, now)
        ]

    def headers(self, name: str, now: float | None = None) -> dict[str, str]:
        """The ``x-ratelimit-*`` headers for this learner right now."""
        now = time.monotonic() if now is None else now
        found: dict[str, str] = {}
        for kind, limit, remaining, reset in self._budgets(name, now):
            found[f"x-ratelimit-limit-{kind}"] = str(limit)
            found[f"x-ratelimit-remaining-{kind}"] = str(remaining)
            found[f"x-ratelimit-reset-{kind}"] = reset_text(reset)
        return found

    def check(self, name: str, now: float | None = None) -> APIError | None:
        """Count this request, or return the 429 if the learner is over a limit (then it is not counted)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            self._forget(name, now)
            requests = self._requests[name]
            if self.rpm is not None and len(requests) >= self.rpm:
                wait = requests[0] + self.window - now
                return self._refusal(name, "requests", "requests per min (RPM)", self.rpm, len(requests), wait, now)
            if self.tpm is not None and (used := self._tokens_used(name)) >= self.tpm:
                wait = self._token_reset(name, now)
                return self._refusal(name, "tokens", "tokens per min (TPM)", self.tpm, used, wait, now)
            requests.append(now)
            return None

    def spend(self, name: str, tokens: int, now: float | None = None) -> None:
        """Count the tokens a learner's answered request used."""
        if self.tpm is None or tokens <= 0:
            return
        with self._lock:
            self._tokens[name].append((time.monotonic() if now is None else now, tokens))

    def _refusal(self, name: str, kind: str, what: str, limit: int, used: int, wait: float, now: float) -> APIError:
        retry_after = max(math.ceil(wait), 1)
        message = (
            f"Rate limit reached for {name} on this course server on {what}: Limit {limit}, Used {used}, "
            f"Requested 1. Please try again in {reset_text(wait)}. Your instructor sets this limit (serve --rpm/--tpm)."
        )
        headers = {**self.headers(name, now), "retry-after": str(retry_after), "x-should-retry": "true"}
        return APIError(429, message, type=kind, code="rate_limit_exceeded", headers=headers)
