"""When to fetch a feed again. Pure decisions, no I/O (cf. lemon24/reader's Decider).

Politeness rules, in order of precedence:

1. A server that said 429/503 with Retry-After is not asked again before that time.
2. A failing feed backs off exponentially from the normal interval (x2 a failure, up to
   ``max_backoff``), with +/-20% jitter so that many failing feeds do not retry in step.
3. A feed that succeeded comes back after the longest of: the configured interval, its
   RSS ``<ttl>``, the response's Cache-Control max-age (all capped at ``max_backoff``),
   with +/-10% jitter so that feeds fetched together drift apart over time.
"""

from __future__ import annotations

import random

MINUTE = 60.0


def next_due_after_success(
    now: float,
    *,
    interval_minutes: float,
    ttl_minutes: float | None = None,
    max_age_seconds: float | None = None,
    max_backoff_minutes: float = 24 * 60,
    rng: random.Random | None = None,
) -> float:
    rng = rng or random
    wait = interval_minutes * MINUTE
    if ttl_minutes:
        wait = max(wait, ttl_minutes * MINUTE)
    if max_age_seconds:
        wait = max(wait, max_age_seconds)
    wait = min(wait, max_backoff_minutes * MINUTE)
    return now + wait * rng.uniform(0.9, 1.1)


def next_due_after_failure(
    now: float,
    *,
    failures: int,
    interval_minutes: float,
    retry_after_seconds: float | None = None,
    max_backoff_minutes: float = 24 * 60,
    rng: random.Random | None = None,
) -> float:
    """``failures`` counts this one: the first failure waits about one interval."""
    rng = rng or random
    exponent = max(failures - 1, 0)
    wait = min(interval_minutes * MINUTE * (2 ** min(exponent, 20)), max_backoff_minutes * MINUTE)
    wait *= rng.uniform(0.8, 1.2)
    if retry_after_seconds is not None:
        wait = max(wait, retry_after_seconds)
    return now + wait


def is_due(next_due: float | None, now: float) -> bool:
    return next_due is None or next_due <= now
