"""Wall time of one dashboard step: model.step() plus drawing every picture of the page.

    python benchmarks/dashboard_step.py [WEEKS] [ENGINE] [SCALE]

Runs the full default scenario (helsinki, scale 1) with the vectorized engine and
reports build time, then per-week step and render times over the first WEEKS weeks.
"""

import io
import statistics
import sys
import time

from hidsim.dashboard import figures
from hidsim.dashboard.components import default_service, summary_html
from hidsim.dashboard.controls import DashboardModel

WEEKS = int(sys.argv[1]) if len(sys.argv) > 1 else 60
ENGINE = sys.argv[2] if len(sys.argv) > 2 else "vectorized"
SCALE = int(sys.argv[3]) if len(sys.argv) > 3 else 1


def render(model):
    for fig in (
        figures.district_map(model, default_service(model)),
        figures.adoption_curves(model),
        figures.emissions_vs_targets(model),
        figures.hours_saved(model),
    ):
        fig.savefig(io.BytesIO(), format="png")
    summary_html(model)


t = time.perf_counter()
model = DashboardModel("helsinki", engine=ENGINE, scale=SCALE)
build = time.perf_counter() - t
print(f"{ENGINE}, scale {SCALE}: {model.population.size} agents, build {build:.2f} s")
steps, renders = [], []
for _ in range(WEEKS):
    t = time.perf_counter()
    model.step()
    steps.append(time.perf_counter() - t)
    t = time.perf_counter()
    render(model)
    renders.append(time.perf_counter() - t)
both = [a + b for a, b in zip(steps, renders, strict=True)]
for name, xs in (("step", steps), ("render", renders), ("step+render", both)):
    print(f"{name:12s} median {statistics.median(xs) * 1000:7.1f} ms  max {max(xs) * 1000:7.1f} ms")
