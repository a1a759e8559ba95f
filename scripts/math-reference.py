#!/usr/bin/env python3
"""Reference values for src/math.ts, computed with mpmath to 60+ digits.

Writes test/reference/math.json: for each function, rows [x, (y,) d, r] where
d is the double nearest the exact result and r the double nearest (exact - d),
so a test can measure an implementation's error in ulps without rounding it
away. Also prints the constants src/math.ts holds as integers (2/pi and pi/2
in fixed point), so they can be checked against this script.

Run: /usr/bin/python3 scripts/math-reference.py   (Debian: python3-mpmath)
"""
import json
import math
import random

import mpmath
from mpmath import mp, mpf

rng = random.Random(20261204)


def nearest(v):
    """The double nearest the mpf v, and the double nearest v - that."""
    d = float(v)  # mpmath rounds to nearest
    return d, float(v - mpf(d))


def rows(f, xs, prec=240):
    out = []
    for x in xs:
        mp.prec = prec if abs(x) < 1e6 else 3000  # huge trig arguments need their bits of 2/pi
        v = f(mpf(x))
        d, r = nearest(v)
        if math.isinf(d) or d == 0.0:
            continue  # overflow and underflow are checked exactly in the test
        out.append([x, d, r])
    return out


def uniform(a, b, n):
    return [rng.uniform(a, b) for _ in range(n)]


def loguniform(lo, hi, n):
    return [math.exp(rng.uniform(math.log(lo), math.log(hi))) for _ in range(n)]


def signed(xs):
    return [x if rng.random() < 0.5 else -x for x in xs]


N = 500
ref = {
    "exp": rows(mpmath.exp, uniform(-745, 709.7, N) + signed(loguniform(1e-20, 1, N // 2)) + [1.0, -1.0, 0.5, 700.0, -700.0]),
    "expm1": rows(mpmath.expm1, uniform(-40, 709.7, N) + signed(loguniform(1e-20, 2, N // 2))),
    "log": rows(mpmath.log, loguniform(1e-320, 1e308, N) + uniform(0.5, 2, N // 2) + [2.0, 10.0, 1e-310]),
    "log1p": rows(mpmath.log1p, uniform(-0.999999, 10, N) + signed(loguniform(1e-20, 0.5, N // 2)) + loguniform(10, 1e300, N // 4)),
    "tanh": rows(mpmath.tanh, uniform(-25, 25, N) + signed(loguniform(1e-20, 1, N // 2))),
    "sin": rows(mpmath.sin, uniform(-10, 10, N) + signed(loguniform(10, 1e6, N // 2)) + signed(loguniform(1e6, 1e300, N // 4))),
    "cos": rows(mpmath.cos, uniform(-10, 10, N) + signed(loguniform(10, 1e6, N // 2)) + signed(loguniform(1e6, 1e300, N // 4))),
    "tan": rows(mpmath.tan, uniform(-10, 10, N) + signed(loguniform(10, 1e6, N // 2)) + signed(loguniform(1e6, 1e300, N // 4))),
}

# pow: bases and exponents as the library uses them (beta**t, decay**p) and beyond
pairs = (
    [(rng.uniform(0.8, 0.99999), float(rng.randint(1, 200000))) for _ in range(N // 2)]
    + [(rng.uniform(0, 10), rng.uniform(-30, 30)) for _ in range(N // 2)]
    + [(-rng.uniform(0, 3), float(rng.randint(-40, 40))) for _ in range(N // 4)]
    + [(math.exp(rng.uniform(-700, 700)), rng.uniform(-1, 1)) for _ in range(N // 4)]
)
mp.prec = 240
pw = []
for x, y in pairs:
    v = mpmath.power(mpf(x), mpf(y))
    d, r = nearest(v)
    if math.isinf(d) or d == 0.0 or x == 0:
        continue
    pw.append([x, y, d, r])
ref["pow"] = pw

with open("test/reference/math.json", "w") as fh:
    json.dump(ref, fh, separators=(",", ":"))
    fh.write("\n")

mp.prec = 1400
print("TWO_OVER_PI_HEX", format(int(mpmath.floor(2 / mp.pi * mpf(2) ** 1216)), "x"))
print("PIO2_128", hex(int(mpmath.floor(mp.pi / 2 * mpf(2) ** 128))))
print({k: len(v) for k, v in ref.items()})
