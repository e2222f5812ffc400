"""Indices of replicated outcomes over plain arrays, for any registered method."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from hidsim.analysis.sensitivity.common import rank_rows
from hidsim.analysis.sensitivity.indices import NEGLIGIBLE, check_method, outcome_indices
from hidsim.analysis.sensitivity.result import SensitivityResult
from hidsim.outputs import OUTPUTS


def analyze(problem: dict, design: np.ndarray, outcomes_by_replication, method: str = "morris",
            *, num_levels: int = 4, conf_level: float = 0.95, num_resamples: int = 1000,
            seed: int = 1, negligible: float | None = None) -> SensitivityResult:
    """Sensitivity indices of replicated outcomes, flagged against replication noise.

    Args:
        problem: a SALib problem (``num_vars``, ``names``, ``bounds``).
        design: the design as drawn by :func:`sample_design` (points x parameters).
        outcomes_by_replication: outcome name to an array points x replications, or one
            such array (named ``y``); a 1-D array is a single replication (noise unknown).
        method: a registered method (``morris``: ``mu_star``, ``mu``, ``sigma``;
            ``sobol``: ``ST`` and ``S1`` of a first-order Saltelli design).
        num_levels: Morris grid levels (as sampled).
        conf_level: level of the confidence intervals.
        num_resamples: bootstrap resamples of the intervals.
        seed: bootstrap seed (not 0: SALib's Sobol analysis reads 0 as "no seed").
        negligible: override of the method's "inert" level (its ``NEGLIGIBLE``).

    Returns:
        Indices, flags and noise. An outcome with undefined (NaN) or infinite values
        at some points is not analysed (a variance decomposition of it is undefined,
        and one infinite value would make every index 0): it is in ``skipped`` with
        the reason, naming the outcome.

    Raises:
        ValueError: an unknown method, or a design or outcome of the wrong shape.

    Examples:
        >>> from hidsim.analysis.sensitivity import make_problem, sample_design
        >>> problem = make_problem({"x1": (0, 1), "x2": (0, 1)})
        >>> X = sample_design(problem, "morris", 10, seed=1)
        >>> y = 5 * X[:, [0]] + np.random.default_rng(0).normal(0, 0.1, (len(X), 3))
        >>> result = analyze(problem, X, y, "morris")
        >>> result.flagged()[["parameter", "flag"]].values.tolist()
        [['x2', 'inert']]
    """
    check_method(method)
    design = np.asarray(design, dtype=float)
    if design.ndim != 2 or design.shape[1] != problem["num_vars"]:
        raise ValueError(f"the design must be points x {problem['num_vars']} parameters "
                         f"(got shape {design.shape})")
    if not isinstance(outcomes_by_replication, Mapping):
        outcomes_by_replication = {"y": outcomes_by_replication}
    level = NEGLIGIBLE[method] if negligible is None else negligible
    tables, noise, skipped = [], [], {}
    for name, values in outcomes_by_replication.items():
        y = np.asarray(values, dtype=float)
        y = y[:, None] if y.ndim == 1 else y
        if y.shape[0] != len(design):
            raise ValueError(f"outcome '{name}' has {y.shape[0]} points; the design has "
                             f"{len(design)}")
        if not np.isfinite(y).all():
            skipped[name] = undefined_reason(name, y)
            continue
        rows, summary = outcome_indices(problem, design, y, method, negligible=level,
                                        num_levels=num_levels, conf_level=conf_level,
                                        num_resamples=num_resamples, seed=seed)
        rows.insert(0, "outcome", name)
        tables.append(rows)
        noise.append({"outcome": name, **summary})
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(
        columns=["outcome", "parameter", "index", "value", "ci", "flag", "noise_level"])
    return SensitivityResult(method=method, table=rank_rows(table), noise=pd.DataFrame(noise),
                             problem=problem, design=design, skipped=skipped,
                             info={"conf_level": conf_level, **(
                                 {"num_levels": num_levels} if method == "morris" else {})})


def undefined_reason(name: str, y: np.ndarray) -> str:
    """Why outcome ``name`` cannot be analysed: how many of its values are NaN or infinite.

    Examples:
        >>> undefined_reason("eur_per_tco2e", np.array([[1.0, np.nan], [2.0, 3.0]]))
        "'eur_per_tco2e' is undefined (NaN) in 1 of 4 runs (EUR per tCO2e is undefined where nothing was avoided)"
    """  # noqa: E501
    parts = []
    if np.isnan(y).any():
        parts.append(f"undefined (NaN) in {int(np.isnan(y).sum())}")
    if np.isinf(y).any():
        parts.append(f"infinite in {int(np.isinf(y).sum())}")
    reason = f"'{name}' is {' and '.join(parts)} of {y.size} runs"
    output = OUTPUTS.get(name)
    if output is not None and output.undefined:
        reason += f" ({output.label} is undefined where {output.undefined})"
    return reason
