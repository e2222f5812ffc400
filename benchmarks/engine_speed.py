"""Engine speed and memory: run by hand, not part of the tests.

    python benchmarks/engine_speed.py            # everything (a few minutes)
    python benchmarks/engine_speed.py --quick    # 10k residents only
    python benchmarks/engine_speed.py --against ../ref --repeat 5   # this checkout vs another
    python benchmarks/engine_speed.py --curve    # cost over population sizes, with the slope

``--against DIR`` runs the vectorized measurements of this checkout (A) and of the
checkout in DIR (B, its ``src`` first on ``PYTHONPATH``) interleaved A B A B ..., each in
a fresh process, and prints the medians and the ratios B / A measured in the same run:
on a shared machine only such ratios mean much. ``--curve`` measures 10k, ~114k and
~675k residents (the last two at one agent per resident) and fits time = a + b x residents.

Prints, for both engines, agent-steps per second at about 10k residents and on
the full default scenario (the agents engine for a few weeks only), the ratio
of the two measured in this same run, set-up and simulation time of the full
scenario, peak memory per resident (each measurement in a fresh process), and
the all-Helsinki scenario's time. Agent-steps = residents x weeks simulated.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time

MEASURE = r"""
import json, resource, sys, time
import numpy, pandas, scipy.sparse, networkx, mesa  # imported before the baseline
from hidsim import AdoptionModel
from hidsim.scenario import load_scenario
scenario, engine, scale, weeks = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
s = load_scenario(scenario)
# Once per process, not per run: importing numba and loading the compiled kernels from
# their cache (a worker of a sweep pays it once). A toy run does it on any checkout.
t = time.perf_counter()
AdoptionModel("toy", engine=engine, weeks=2, rng=1).run()
warm_up = time.perf_counter() - t
try:
    from hidsim.engines.kernels import kernels
    path = kernels().name
except ImportError:  # a checkout without kernels
    path = "numpy"
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
model = AdoptionModel(s, engine=engine, scale=scale, weeks=weeks, rng=1)
t1 = time.perf_counter()
model.run()
t2 = time.perf_counter()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
n = model.population.size
print(json.dumps({"residents": n, "setup_s": t1 - t0, "run_s": t2 - t1, "weeks": weeks,
                  "warm_up_s": warm_up, "kernels": path,
                  "agent_steps_per_s": n * weeks / (t2 - t1),
                  "peak_bytes_per_resident": (peak - base) * 1024 / n}))
"""


def measure(scenario: str, engine: str, scale: int, weeks: int, src: str | None = None) -> dict:
    """Run one measurement in a fresh interpreter and return its figures.

    ``src``: another checkout whose ``src`` folder goes first on ``PYTHONPATH``.
    """
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = os.path.join(os.path.abspath(src), "src")
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, scenario, engine, str(scale), str(weeks)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


CASES = {
    # label: (scenario, scale, weeks)
    "10k": ("helsinki", 11, 520),
    "full default": ("helsinki", 1, 520),
    "all of Helsinki": ("helsinki_city", 1, 520),
}
FIGURES = (("setup_s", "set-up s", "{:.3f}"), ("run_s", "520 weeks s", "{:.3f}"),
           ("peak_bytes_per_resident", "peak B/resident", "{:.0f}"),
           ("warm_up_s", "process warm-up s", "{:.3f}"))


def against(other: str, repeat: int, cases: list[str]) -> None:
    """This checkout (A) against ``other`` (B), interleaved, with medians and ratios B / A."""
    print(f"A = this checkout, B = {os.path.abspath(other)}; {repeat} runs each, interleaved")
    for label in cases:
        scenario, scale, weeks = CASES[label]
        runs: dict[str, list[dict]] = {"A": [], "B": []}
        for _ in range(repeat):
            runs["A"].append(measure(scenario, "vectorized", scale, weeks))
            runs["B"].append(measure(scenario, "vectorized", scale, weeks, src=other))
        n = runs["A"][0]["residents"]
        print(f"{label} ({scenario}, scale {scale}, {n:,} residents, {weeks} weeks; kernels "
              f"A {runs['A'][0]['kernels']}, B {runs['B'][0]['kernels']})")
        for key, name, fmt in FIGURES:
            a = statistics.median(r[key] for r in runs["A"])
            b = statistics.median(r[key] for r in runs["B"])
            spread = ", ".join(fmt.format(r[key]) for r in runs["A"])
            print(f"  {name:16s} A {fmt.format(a):>9s}  B {fmt.format(b):>9s}  B/A {b / a:6.2f}x"
                  f"   (A runs: {spread})")
        total_a = statistics.median(r["setup_s"] + r["run_s"] for r in runs["A"])
        total_b = statistics.median(r["setup_s"] + r["run_s"] for r in runs["B"])
        print(f"  {'set-up + run':16s} A {total_a:9.3f}  B {total_b:9.3f}  B/A "
              f"{total_b / total_a:6.2f}x")


def curve(repeat: int, src: str | None = None) -> None:
    """Set-up + run time over population sizes, and the least-squares line through them."""
    sizes, times = [], []
    for label in CASES:
        scenario, scale, weeks = CASES[label]
        rs = [measure(scenario, "vectorized", scale, weeks, src=src) for _ in range(repeat)]
        n = rs[0]["residents"]
        setup = statistics.median(r["setup_s"] for r in rs)
        run = statistics.median(r["run_s"] for r in rs)
        peak = statistics.median(r["peak_bytes_per_resident"] for r in rs)
        sizes.append(n)
        times.append(setup + run)
        print(f"{label:16s} {n:>9,d} residents  set-up {setup:6.2f} s  run {run:6.2f} s  "
              f"total {setup + run:6.2f} s  {1e6 * (setup + run) / n:6.2f} us/resident  "
              f"peak {peak:5.0f} B/resident")
    slope, intercept = _line(sizes, times)
    print(f"time = {intercept:.3f} s + {1e6 * slope:.3f} us x residents (least squares, "
          f"{len(sizes)} sizes); log-log slope "
          f"{_line([math.log(n) for n in sizes], [math.log(t) for t in times])[0]:.2f} "
          "(1 = linear)")


def _line(x: list[float], y: list[float]) -> tuple[float, float]:
    """Least-squares slope and intercept."""
    mx, my = statistics.fmean(x), statistics.fmean(y)
    slope = sum((a - mx) * (b - my) for a, b in zip(x, y, strict=True)) / sum(
        (a - mx) ** 2 for a in x)
    return slope, my - slope * mx


def machine() -> str:
    """CPU model, cores and library versions, for the record."""
    import mesa
    import numpy

    cpu = "unknown CPU"
    if os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo") as fh:
            names = [line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")]
        cpu = names[0] if names else cpu
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"numpy {numpy.__version__}, mesa {mesa.__version__}"
    )


def show(label: str, r: dict) -> None:
    """Print one measurement."""
    print(
        f"{label:48s} {r['residents']:>8,d} residents  {r['weeks']:>4d} wk  "
        f"setup {r['setup_s']:6.2f} s  run {r['run_s']:7.2f} s  "
        f"{r['agent_steps_per_s']:>14,.0f} agent-steps/s  "
        f"peak {r['peak_bytes_per_resident']:6.0f} B/resident"
    )


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k residents only")
    parser.add_argument("--against", metavar="DIR", help="compare with the checkout in DIR")
    parser.add_argument("--repeat", type=int, default=3, help="runs per checkout (--against)")
    parser.add_argument("--cases", default="10k,full default",
                        help=f"with --against: comma-separated among {', '.join(CASES)}")
    parser.add_argument("--curve", action="store_true", help="cost over population sizes")
    args = parser.parse_args()
    print("machine:", machine(), f"; load average {os.getloadavg()[0]:.2f}")
    if args.against:
        against(args.against, args.repeat, args.cases.split(","))
        return
    if args.curve:
        curve(args.repeat)
        return
    # Scale 11 gives about 10.4k agents on the default scenario.
    small_fast = measure("helsinki", "vectorized", 11, 520)
    small_slow = measure("helsinki", "agents", 11, 4)
    show("10k, vectorized, 520 weeks", small_fast)
    show("10k, agents, 4 weeks", small_slow)
    print(
        f"ratio at 10k (vectorized / agents): "
        f"{small_fast['agent_steps_per_s'] / small_slow['agent_steps_per_s']:,.0f}x"
    )
    if args.quick:
        return
    full_fast = measure("helsinki", "vectorized", 1, 520)
    full_slow = measure("helsinki", "agents", 1, 2)
    show("full default scenario, vectorized, 520 weeks", full_fast)
    show("full default scenario, agents, 2 weeks", full_slow)
    print(
        f"ratio at full scale (vectorized / agents): "
        f"{full_fast['agent_steps_per_s'] / full_slow['agent_steps_per_s']:,.0f}x"
    )
    minutes = full_slow["residents"] * 52 / full_slow["agent_steps_per_s"] / 60
    print(f"agents engine, one simulated year at full scale: {minutes:.0f} min (extrapolated)")
    try:
        city = measure("helsinki_city", "vectorized", 1, 520)
        show("all of Helsinki, vectorized, 520 weeks", city)
        print(f"all of Helsinki, set-up + simulation: {city['setup_s'] + city['run_s']:.1f} s")
    except subprocess.CalledProcessError as err:
        print("helsinki_city not measured:", err.stderr.strip().splitlines()[-1])


if __name__ == "__main__":
    t = time.perf_counter()
    main()
    print(f"(benchmark took {time.perf_counter() - t:.0f} s)")
