"""Engine speed and memory: run by hand, not part of the tests.

    python benchmarks/engine_speed.py            # everything (a few minutes)
    python benchmarks/engine_speed.py --quick    # 10k residents only

Prints, for both engines, agent-steps per second at about 10k residents and on
the full default scenario (the agents engine for a few weeks only), the ratio
of the two measured in this same run, set-up and simulation time of the full
scenario, peak memory per resident (each measurement in a fresh process), and
the all-Helsinki scenario's time. Agent-steps = residents x weeks simulated.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
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
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
model = AdoptionModel(s, engine=engine, scale=scale, weeks=weeks, rng=1)
t1 = time.perf_counter()
model.run()
t2 = time.perf_counter()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
n = model.population.size
print(json.dumps({"residents": n, "setup_s": t1 - t0, "run_s": t2 - t1, "weeks": weeks,
                  "agent_steps_per_s": n * weeks / (t2 - t1),
                  "peak_bytes_per_resident": (peak - base) * 1024 / n}))
"""


def measure(scenario: str, engine: str, scale: int, weeks: int) -> dict:
    """Run one measurement in a fresh interpreter and return its figures."""
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, scenario, engine, str(scale), str(weeks)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


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
    args = parser.parse_args()
    print("machine:", machine())
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
