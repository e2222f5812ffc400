"""Sweep throughput: runs per minute of 10k-resident, 520-week runs, serial and on 2 workers.

Three timings of the same N runs (helsinki at 11 residents per agent: ~10,400 agents):

1. bare:     ``AdoptionModel(...).run()`` in a loop, nothing else (the pure simulation);
2. serial:   ``run_experiment(..., workers=1)``: the same runs through the sweep machinery
             in this process (task, summaries, Parquet parts, manifest);
3. parallel: ``run_experiment(..., workers=2)``: local worker processes (start-up included).

It prints the sweep's overhead per run (serial - bare), the speed-up of 2 workers over
serial, runs per minute, and the time 1,000 runs would take at the measured rate.
Targets (issue 4): speed-up >= 1.8x on 2 workers, 1,000 runs in under 5 minutes.

    python benchmarks/sweep_throughput.py              # 20 runs each way, a few minutes
    python benchmarks/sweep_throughput.py --runs 8     # a quicker look
    python benchmarks/sweep_throughput.py --runs 1000 --parallel-only   # the target, directly
    python benchmarks/sweep_throughput.py --runs 200 --parallel-only --against ../ref --repeat 2
        # this checkout (A) and another (B, its src first on PYTHONPATH), interleaved A B A B

The machine's other load shows up in every figure: run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import pandas as pd

from hidsim.engines import ENGINES
from hidsim.experiments import load_experiment, plan_runs, run_experiment
from hidsim.model import AdoptionModel


def experiment(runs: int, scale: int, weeks: int, engine: str) -> dict:
    """N replications of the helsinki scenario, keeping the model table every 4 weeks."""
    return {"name": "throughput", "scenario": "helsinki", "engine": engine, "replications": runs,
            "seed": 1, "scale": scale, "weeks": weeks,
            "metrics": {"period": 4, "tables": ["model"]}}


def bare(spec: dict) -> float:
    """Seconds to make the runs with nothing but the model."""
    exp = load_experiment(spec)
    runs = plan_runs(exp)
    from hidsim.experiments.tasks import build_scenario

    clock = time.perf_counter()
    for run in runs:
        model = AdoptionModel(build_scenario(run), engine=run.engine, rng=run.seed,
                              weeks=run.weeks, collect_every=run.period)
        model.run()
        model.results()
        model.release()
    return time.perf_counter() - clock


def swept(spec: dict, workers: int) -> tuple[float, object]:
    """Seconds for a sweep on ``workers`` local processes (1 = in this process)."""
    folder = tempfile.mkdtemp(prefix="hidsim-bench-")
    try:
        clock = time.perf_counter()
        results = run_experiment(spec, out=folder, workers=workers, progress=False)
        return time.perf_counter() - clock, results
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def startup(workers: int) -> float:
    """Seconds to start ``workers`` spawned processes and import hidsim in each."""
    from hidsim.experiments.executors import ProcessExecutor
    from hidsim.experiments.runner import failed_outcome

    clock = time.perf_counter()
    with ProcessExecutor(workers, failed_outcome) as pool:
        list(pool.executor.map(_pid_after, [0.5] * workers))
    return time.perf_counter() - clock


def _pid_after(seconds: float) -> int:
    """Hold a worker briefly so that every worker gets one task (all of them start)."""
    import hidsim.experiments.tasks  # noqa: F401 - what a real worker imports

    time.sleep(seconds)
    return os.getpid()


def main() -> None:
    """Time the three ways and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scale", type=int, default=11)
    parser.add_argument("--weeks", type=int, default=520)
    parser.add_argument("--parallel-only", action="store_true",
                        help="only the sweep on --workers processes (e.g. --runs 1000 to time the "
                             "target directly)")
    parser.add_argument("--against", metavar="DIR",
                        help="with --parallel-only: also time the checkout in DIR, interleaved")
    parser.add_argument("--repeat", type=int, default=2, help="sweeps per checkout (--against)")
    args = parser.parse_args()
    if args.against:
        against(args)
        return
    engine = "vectorized" if "vectorized" in ENGINES else "agents"
    if engine != "vectorized":
        print("The vectorized engine is not registered: these figures are for the agents engine "
              "and say nothing about the targets.")
    spec = experiment(args.runs, args.scale, args.weeks, engine)
    agents = AdoptionModel("helsinki", engine=engine, scale=args.scale, weeks=1).population.size
    print(f"{args.runs} runs of helsinki, {agents:,} agents (scale {args.scale}), {args.weeks} "
          f"weeks, {engine} engine; {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.2f} at start")

    if args.parallel_only:
        t_parallel, parallel = swept(spec, args.workers)
        print(f"sweep on {args.workers} worker processes: {t_parallel:.1f} s for {args.runs} runs, "
              f"{60 * args.runs / t_parallel:.1f} runs per minute, {len(parallel.failed)} failed; "
              f"load average at end {os.getloadavg()[0]:.2f}")
        return
    t_bare = bare(spec)
    t_serial, serial = swept(spec, 1)
    t_parallel, parallel = swept(spec, args.workers)
    t_start = startup(args.workers) - 0.5
    same = serial.horizon.equals(parallel.horizon) and all(
        serial.tables[n].equals(parallel.tables[n]) for n in serial.tables)
    failed = len(serial.failed) + len(parallel.failed)

    n = args.runs
    rows = [
        ("bare model loop", t_bare, 1.0),
        ("sweep, serial (1 process)", t_serial, 1.0),
        (f"sweep, {args.workers} worker processes", t_parallel, t_serial / t_parallel),
    ]
    table = pd.DataFrame([{"how": how, "seconds": round(t, 1), "s per run": round(t / n, 3),
                           "runs per minute": round(60 * n / t, 1),
                           "speed-up vs serial": round(s, 2) if i == 2 else None,
                           "1,000 runs (min)": round(1000 * t / n / 60, 1)}
                          for i, (how, t, s) in enumerate(rows)])
    print(table.to_string(index=False))
    overhead = (t_serial - t_bare) / n
    print(f"\nsweep overhead per run (serial sweep - bare loop): {1000 * overhead:.0f} ms "
          f"({100 * overhead / (t_bare / n):.1f}% of a run)")
    print(f"2-worker speed-up: {t_serial / t_parallel:.2f}x (target >= 1.8x); 1,000 runs at this "
          f"rate: {1000 * t_parallel / n / 60:.1f} min (target < 5 min)")
    run_serial, run_parallel = serial.runs["wall_s"].mean(), parallel.runs["wall_s"].mean()
    print(f"time of one run inside its worker: {run_serial:.3f} s serial, {run_parallel:.3f} s "
          f"with {args.workers} running at once ({run_parallel / run_serial:.2f}x: contention "
          "for memory bandwidth, caches or other load)")
    steady = t_serial / max(t_parallel - t_start, 1e-9)
    print(f"worker start-up (spawn + import, measured apart): {t_start:.1f} s; speed-up without "
          f"it (derived): {steady:.2f}x")
    print(f"serial and parallel results identical: {same}; failed runs: {failed}; "
          f"load average at end {os.getloadavg()[0]:.2f}")


def against(args) -> None:
    """This checkout (A) and another (B) in fresh processes, interleaved; medians and B / A."""
    own = [a for a in sys.argv[1:] if a not in ("--against", args.against)]
    if "--parallel-only" not in own:
        own.append("--parallel-only")
    times: dict[str, list[float]] = {"A": [], "B": []}
    for _ in range(args.repeat):
        for side in ("A", "B"):
            env = dict(os.environ)
            if side == "B":
                env["PYTHONPATH"] = os.path.join(os.path.abspath(args.against), "src")
            out = subprocess.run([sys.executable, __file__, *own], capture_output=True, text=True,
                                 check=True, env=env).stdout
            seconds = float(re.search(r"processes: ([0-9.]+) s", out).group(1))
            times[side].append(seconds)
            print(f"{side}: {seconds:.1f} s for {args.runs} runs", flush=True)
    a, b = statistics.median(times["A"]), statistics.median(times["B"])
    print(f"median A {a:.1f} s, B {b:.1f} s for {args.runs} runs on {args.workers} workers: "
          f"B / A = {b / a:.2f}x; 1,000 runs at A's rate: {1000 * a / args.runs:.0f} s")


if __name__ == "__main__":
    main()
