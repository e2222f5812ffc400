"""Both engines on the same scenario, 30 seeds: the figure and z statistics of docs/validation.md.

python benchmarks/engine_agreement.py    # about two minutes
"""

from __future__ import annotations

import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from hidsim.analysis.paired import paired_z  # noqa: E402
from hidsim.experiments.engines import (  # noqa: E402
    METRICS,
    comparison_scenario,
    engine_curves,
)

SEEDS = range(30)
WEEKS = 60
AT = list(range(0, WEEKS + 1, 5))
LABELS = {
    "adopters": "adopters (residents)",
    "emissions_per_capita_t": "emissions per capita (t/yr)",
    "hours_saved_per_resident_per_year": "hours saved per resident per year",
    "avoided_tco2e_per_year": "avoided tCO2e per year",
}


def main() -> None:
    """Run both engines, print the paired statistics and save the figure."""
    scenario = comparison_scenario(scale=300)
    timings = {}
    curves = {}
    for engine in ("agents", "vectorized"):
        t = time.perf_counter()
        curves[engine] = engine_curves(scenario, engine, SEEDS, WEEKS, AT)
        timings[engine] = time.perf_counter() - t
    z = paired_z(curves["agents"], curves["vectorized"])
    print(f"{len(SEEDS)} seeds, {WEEKS} weeks, scale 300, weeks checked {AT}")
    for k, metric in enumerate(METRICS):
        a, v = curves["agents"][:, -1, k], curves["vectorized"][:, -1, k]
        ci_a, ci_v = (1.96 * x.std(ddof=1) / np.sqrt(len(x)) for x in (a, v))
        print(
            f"{metric:36s} week {WEEKS}: agents {a.mean():10.4f} +- {ci_a:.4f}"
            f"  vectorized {v.mean():10.4f} +- {ci_v:.4f}"
            f"  max paired |z| over weeks {np.nanmax(z[:, k]):.2f}"
        )
    print(f"wall time: agents {timings['agents']:.1f} s, vectorized {timings['vectorized']:.1f} s")
    fig, axes = plt.subplots(2, 2, figsize=(10, 7), constrained_layout=True)
    years = np.array(AT) / 52
    for k, (metric, ax) in enumerate(zip(METRICS, axes.ravel(), strict=True)):
        for engine, style in (("agents", "-"), ("vectorized", "--")):
            c = curves[engine][:, :, k]
            mean, half = c.mean(axis=0), 1.96 * c.std(axis=0, ddof=1) / np.sqrt(c.shape[0])
            ax.plot(years, mean, style, label=engine)
            ax.fill_between(years, mean - half, mean + half, alpha=0.25)
        ax.set_title(LABELS[metric])
        ax.set_xlabel("years")
    axes[0, 0].legend()
    fig.suptitle("Both engines, same scenario: mean over 30 seeds with 95% CI")
    out = Path(__file__).resolve().parent.parent / "docs" / "figures" / "engines_agreement.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    print("wrote", out)


if __name__ == "__main__":
    main()
