"""Bit-identity of results across checkouts: run by hand, not part of the tests.

    python benchmarks/same_results.py --against /work/ref-C

Runs a fixed set of worlds (the toy scenario under both rules, helsinki and suburbs at
scale 20, the default scenario at scale 11 and 1 for 520 weeks; seed 7) with this checkout and,
in a subprocess with ``PYTHONPATH=DIR/src``, with the other one, and compares every table
of ``model.results()`` and ``model.pilot_outcomes`` for exact equality.
"""

from __future__ import annotations

import argparse
import os
import pickle
import subprocess
import sys
import tempfile

CASES = (
    # (label, scenario, rule, scale, weeks)
    ("toy bass", "toy", "bass", None, None),
    ("toy threshold", "toy", "threshold", None, None),
    ("helsinki scale 20, 200 weeks", "helsinki", None, 20, 200),
    ("suburbs scale 20, 150 weeks", "suburbs", None, 20, 150),
    ("helsinki scale 11, 520 weeks", "helsinki", None, 11, 520),
    ("helsinki scale 1, 520 weeks", "helsinki", None, 1, 520),
)

RUN = r"""
import pickle, sys
from hidsim import AdoptionModel
from hidsim.scenario import load_scenario
cases = pickle.loads(bytes.fromhex(sys.argv[1]))
out = {}
for label, name, rule, scale, weeks in cases:
    scenario = load_scenario(name)
    if rule is not None:
        dyn = scenario.dynamics.model_copy(update={"rule": rule})
        scenario = scenario.model_copy(update={"dynamics": dyn})
    model = AdoptionModel(scenario, rng=7, scale=scale, weeks=weeks)
    model.run()
    out[label] = (model.results(), model.pilot_outcomes)
with open(sys.argv[2], "wb") as fh:
    pickle.dump(out, fh)
"""


def results(src: str | None) -> dict:
    """Every case's results, computed in a fresh interpreter (with ``src`` first on the path)."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = os.path.join(src, "src")
    with tempfile.NamedTemporaryFile(suffix=".pkl") as fh:
        subprocess.run([sys.executable, "-c", RUN, pickle.dumps(CASES).hex(), fh.name],
                       check=True, env=env)
        with open(fh.name, "rb") as f:
            return pickle.load(f)


def main() -> None:
    """Compare and print one line per case; exit 1 on any difference."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", required=True, help="another checkout (its src/ is used)")
    args = parser.parse_args()
    here, there = results(None), results(args.against)
    bad = 0
    for label in here:
        (mine, outcomes), (theirs, outcomes_there) = here[label], there[label]
        diff = [name for name in mine if not mine[name].equals(theirs[name])]
        if outcomes != outcomes_there:
            diff.append("pilot_outcomes")
        bad += bool(diff)
        print(f"{label:32s} {'identical' if not diff else 'DIFFERENT: ' + ', '.join(diff)}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
