"""The default scenario's evaluation over replications: the figures README and docs quote.

    python benchmarks/default_evaluation.py [REPLICATIONS] [SCALE]

Runs the built-in Helsinki scenario (seeds 2026, 2027, ...) and prints, per replication and
as mean and range, the credited tCO2e (by part), the city's and society's EUR per tCO2e,
with the crediting period and discount rate used, and the share of pilot districts that
kept their service.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from hidsim.evaluation import evaluate
from hidsim.model import AdoptionModel
from hidsim.scenario import load_scenario

FIELDS = ("credited_tco2e", "credited_tco2e_initial_users", "credited_tco2e_acceleration",
          "credited_tco2e_expansion", "eur_per_tco2e_city", "eur_per_tco2e_societal",
          "pilots_kept_share")


def main() -> None:
    """Run and print."""
    replications = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    scale = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    scenario = load_scenario("helsinki")
    rows = []
    t = time.perf_counter()
    for r in range(replications):
        model = AdoptionModel(scenario, rng=2026 + r, scale=scale)
        model.run()
        rows.append(evaluate(model.results(), scenario))
        model.release()
        print(f"seed {2026 + r}: " + ", ".join(f"{k} {rows[-1][k]:.3g}" for k in FIELDS),
              flush=True)
    first = rows[0]
    print(f"\nhelsinki, scale {scale}, {replications} replications, "
          f"crediting period {first['crediting_period_years']:g} years from each pilot's start "
          f"(credited up to {first['credited_years']:.2f} years: the horizon), "
          f"money discounted at {first['discount_rate']:.0%}, tonnes at "
          f"{first['tonne_discount_rate']:.0%}")
    for key in FIELDS:
        values = np.array([row[key] for row in rows], dtype=float)
        print(f"{key:32s} mean {np.nanmean(values):10.4g}  range {np.nanmin(values):.4g} "
              f"to {np.nanmax(values):.4g}")
    print(f"({time.perf_counter() - t:.0f} s)")


if __name__ == "__main__":
    main()
