"""Seeding strategies on the default world: paired differences over replications (issue 11).

Two questions from the network-diffusion literature, asked of hidsim's default world
(the six Helsinki districts at one agent per resident, the heavy-tailed clustered ties):

1. Bass rule: do the best-connected initial users speed early adoption against random
   ones, and does the gap narrow later?
2. Threshold rule (reinforcement needed): do initial users chosen as a neighbourhood
   (``clustered``) spread further than random ones (Centola 2010)?

Each replication runs both strategies on the same seed (common random numbers: the
same residents and ties), so the difference is the strategy's. To keep the run short
the world keeps only the piloted service (services do not interact in the model): a
pilot of parcel lockers in Malmi, 100 initial users, outreach 2, running the whole
horizon so that no withdrawal cuts the curves, without market entry or operator exit.

Usage: ``python benchmarks/seeding_strategies.py [replications] [weeks] [bass,threshold]``
"""

from __future__ import annotations

import sys
import time

import numpy as np

from hidsim.model import AdoptionModel
from hidsim.scenario import load_scenario

CHECKPOINTS = (4, 13, 26, 52, 104, 260, 520)


def scenario(strategy: str, rule: str, weeks: int):
    """The default world with one pilot seeded by ``strategy`` under ``rule``."""
    base = load_scenario("helsinki")
    service = next(s for s in base.services if s.id == "parcel_lockers")
    # No market entry and no operator exit: only the pilot's seeding differs between strategies.
    fields = type(service).model_fields
    service = service.model_copy(update={k: v for k, v in {
        "market_entry_week": None, "market_entry_latest_week": None,
        "operator_exit_per_year": 0.0}.items() if k in fields})
    pilot = base.pilots[2].model_copy(update={
        "districts": ["Malmi"], "start_week": 0, "duration_weeks": weeks,
        "seeding": base.pilots[2].seeding.model_copy(update={"strategy": strategy}),
    })
    dynamics = base.dynamics.model_copy(update={"rule": rule})
    return base.model_copy(update={"services": [service], "pilots": [pilot],
                                   "dynamics": dynamics, "horizon_weeks": weeks})


def adopters_curve(strategy: str, rule: str, weeks: int, seed: int) -> np.ndarray:
    """Adopters of the piloted service (all districts) at each checkpoint."""
    model = AdoptionModel(scenario(strategy, rule, weeks), rng=seed, weeks=weeks)
    out = []
    for week in range(weeks):
        model.step()
        if week + 1 in CHECKPOINTS:
            out.append(float(model.tallies["scenario"].adopters.sum()) * model.scale)
    model.release()
    return np.array(out)


def paired(rule: str, a: str, b: str, reps: int, weeks: int) -> None:
    """Print mean adopters of a and b and the paired difference a - b with a 95% interval."""
    t0 = time.time()
    diffs, xs, ys = [], [], []
    for seed in range(reps):
        x, y = adopters_curve(a, rule, weeks, seed), adopters_curve(b, rule, weeks, seed)
        xs.append(x)
        ys.append(y)
        diffs.append(x - y)
    xs, ys, diffs = np.array(xs), np.array(ys), np.array(diffs)
    half = 1.96 * diffs.std(axis=0, ddof=1) / np.sqrt(reps)
    print(f"\n{rule} rule: {a} vs {b}, {reps} paired replications ({time.time() - t0:.0f} s)")
    print(f"{'week':>5} {a:>16} {b:>16} {'difference':>12} {'95% interval':>22} {'ratio':>6}")
    for k, week in enumerate(CHECKPOINTS[: xs.shape[1]]):
        m = diffs[:, k].mean()
        ratio = xs[:, k].mean() / max(ys[:, k].mean(), 1e-9)
        print(f"{week:>5} {xs[:, k].mean():>16.1f} {ys[:, k].mean():>16.1f} {m:>12.1f} "
              f"[{m - half[k]:>9.1f}, {m + half[k]:>9.1f}] {ratio:>6.2f}")


if __name__ == "__main__":
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    weeks = int(sys.argv[2]) if len(sys.argv) > 2 else 104
    rules = sys.argv[3].split(",") if len(sys.argv) > 3 else ["bass", "threshold"]
    if "bass" in rules:
        paired("bass", "best_connected", "random", reps, weeks)
    if "threshold" in rules:
        paired("threshold", "clustered", "random", reps, weeks)
