#!/usr/bin/env python3
"""The per-request model of benches/throughput.toml, vectorised with NumPy.

The benchmark compares the exact engine's speed with this implementation of the same months:
users with gamma-distributed activity, Poisson sessions spread over weekdays and weekends,
8 requests a session, a 1,200-token system prompt read from the prompt cache 70% of the time
(written at the cache-write price otherwise), lognormal prompts and answers with answers capped
at 600 tokens, and two stacks: `small` alone, and `cascade`, where 15% of the small model's
answers fail validation and go to the large model. Like the engine, the cascade's first call is
the same call as the small stack's (common random numbers), so its draws are reused.

Prints one JSON object: requests simulated, seconds, requests per second, and each stack's mean
monthly spend with its standard error, so the caller can check both implementations agree.
"""

import argparse
import json
import time

import numpy as np

USERS = 2000
SESSIONS_PER_USER = 4.0
USER_CV = 1.0
WEEKEND = 1.2
DAYS = 30
REQUESTS_PER_SESSION = 8
PREFIX = 1200.0
HIT_RATE = 0.7
INPUT_MEAN, INPUT_SD = 350.0, 150.0
OUTPUT_MEAN, OUTPUT_SD = 200.0, 90.0
OUTPUT_CAP = 600.0
FAILURE = 0.15
# USD per million tokens: input, output, cached input, cache write.
SMALL = (0.15, 0.60, 0.075, 0.15)
LARGE = (2.50, 10.00, 1.25, 2.50)


def lognormal(rng, mean, sd, n):
    sigma2 = np.log1p((sd / mean) ** 2)
    return rng.lognormal(np.log(mean) - sigma2 / 2.0, np.sqrt(sigma2), n)


def call_cost(rng, prices, variable):
    """USD of one call per request: the cached or written prefix, the prompt, the capped answer."""
    n = variable.shape[0]
    inp, out, cached, write = prices
    hit = rng.random(n) < HIT_RATE
    prefix = np.where(hit, PREFIX * cached, PREFIX * write)
    answer = np.minimum(lognormal(rng, OUTPUT_MEAN, OUTPUT_SD, n), OUTPUT_CAP)
    return (prefix + variable * inp + answer * out) / 1e6


def month(rng, weights_cum):
    cv2 = USER_CV * USER_CV
    activity = rng.gamma(1.0 / cv2, cv2, USERS)
    sessions = rng.poisson(SESSIONS_PER_USER * activity).sum()
    day_of_session = np.searchsorted(weights_cum, rng.random(sessions), side="right")
    day = np.repeat(day_of_session, REQUESTS_PER_SESSION)
    n = day.shape[0]
    variable = lognormal(rng, INPUT_MEAN, INPUT_SD, n)
    first = call_cost(rng, SMALL, variable)
    failed = rng.random(n) < FAILURE
    cascade = first.copy()
    cascade[failed] += call_cost(rng, LARGE, variable[failed])
    daily_small = np.bincount(day, weights=first, minlength=DAYS)
    daily_cascade = np.bincount(day, weights=cascade, minlength=DAYS)
    return n, daily_small.sum(), daily_cascade.sum()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    w = np.array([WEEKEND if d % 7 >= 5 else 1.0 for d in range(DAYS)])
    weights_cum = np.cumsum(w / w.sum())
    weights_cum[-1] = 1.0
    rng = np.random.default_rng(args.seed)
    month(rng, weights_cum)  # warm-up
    start = time.perf_counter()
    total = 0
    spend = {"small": [], "cascade": []}
    for _ in range(args.trials):
        n, s, c = month(rng, weights_cum)
        total += n
        spend["small"].append(s)
        spend["cascade"].append(c)
    seconds = time.perf_counter() - start
    stacks = {
        k: {"mean": float(np.mean(v)), "standard_error": float(np.std(v, ddof=1) / np.sqrt(len(v)))}
        for k, v in spend.items()
    }
    print(
        json.dumps(
            {
                "requests": int(total),
                "seconds": seconds,
                "requests_per_second": total / seconds,
                "numpy": np.__version__,
                "stacks": stacks,
            }
        )
    )


if __name__ == "__main__":
    main()
