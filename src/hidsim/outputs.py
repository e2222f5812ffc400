"""The outputs of a run, each defined once: name, unit, label, direction and formula.

An *output* is one number a run gives at its horizon (avoided tCO2e, hours saved,
EUR per tCO2e, ...). This module is the one table of them: the run summary,
the values a sweep keeps per run, ``hidsim compare`` (which way is better),
the report, the dashboard and the sensitivity analysis all read it, so a
quantity is computed in one place and a new output is one registration::

    from hidsim.outputs import Output, register_output

    register_output(Output(
        "adopters_per_1000", unit="per 1,000 residents", label="adopters per 1,000 residents",
        direction="higher",
        compute=lambda h: 1000 * h.value("adopters") / h.residents))

It reads only the tidy tables of :meth:`hidsim.model.AdoptionModel.results`
(full-population units), so it works on a finished model's tables and on the
same tables read back from disk.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import numpy as np
import pandas as pd

from hidsim.evaluation import PARTS, cost_per_tonne, evaluate
from hidsim.scenario import Scenario
from hidsim.units import WEEKS_PER_YEAR

Direction = Literal["higher", "lower"]


class Horizon:
    """A run's tables at their last collected week, as outputs read them.

    Attributes:
        tables: the run's tidy tables (``model``, ``districts``, ``services``,
            ``income``, ``pilots``; ``income`` may be missing).
        scenario: the scenario the run ran (its pilots, crediting period, discount rates
            and the services' costs), for the outputs of :mod:`hidsim.evaluation`; without
            it those outputs are NaN.
    """

    def __init__(self, tables: Mapping[str, pd.DataFrame], scenario: Scenario | None = None):
        self.tables = tables
        self.scenario = scenario
        self._values: dict[str, float] = {}

    @cached_property
    def evaluation(self) -> dict | None:
        """:func:`hidsim.evaluation.evaluate` of the run, or None without its scenario."""
        if self.scenario is None or "pilots" not in self.tables:
            return None
        return evaluate(self.tables, self.scenario)

    def evaluated(self, key: str) -> float:
        """One figure of :attr:`evaluation` (NaN without the scenario)."""
        return float("nan") if self.evaluation is None else float(self.evaluation[key])

    @cached_property
    def model(self) -> pd.Series:
        """The ``model`` table's last row."""
        return self.tables["model"].iloc[-1]

    @cached_property
    def week(self) -> int:
        """The horizon's week."""
        return int(self.model["week"])

    def at_horizon(self, name: str) -> pd.DataFrame:
        """Rows of table ``name`` at the horizon's week (empty when the table is missing)."""
        table = self.tables.get(name)
        if table is None:
            return pd.DataFrame()
        return table[table["week"] == self.week]

    @cached_property
    def districts(self) -> pd.DataFrame:
        """The ``districts`` table at the horizon."""
        return self.at_horizon("districts")

    @cached_property
    def services(self) -> pd.DataFrame:
        """The ``services`` table at the horizon."""
        return self.at_horizon("services")

    @cached_property
    def residents(self) -> float:
        """All residents of the run's world at the horizon."""
        return float(self.districts["residents"].sum())

    def value(self, name: str) -> float:
        """The value of output ``name`` (computed once; outputs may read each other)."""
        if name not in self._values:
            self._values[name] = float(get_output(name).compute(self))
        return self._values[name]


@dataclass(frozen=True)
class Output:
    """One output of a run at its horizon.

    Attributes:
        name: the column name in horizon tables (``avoided_tco2e_cumulative``).
        unit: its unit (``tCO2e``, ``EUR/tCO2e``, ``h/resident/year``).
        label: a short readable name for tables and figures.
        direction: ``"higher"`` or ``"lower"``: which way is better, for rankings.
        compute: the formula, from a :class:`Horizon` to a float (NaN where undefined).
        ratio: ``(numerator, denominator)`` outputs when the output is a ratio of two
            others: summaries over runs then take the ratio of the means (not the mean
            of ratios, which one run that avoided almost nothing would dominate).
        undefined: when the value is NaN, in words (for messages).
        bounds: the values it can take (a share: 0 to 1); intervals are clipped to them.
    """

    name: str
    unit: str
    label: str
    direction: Direction
    compute: Callable[[Horizon], float]
    ratio: tuple[str, str] | None = None
    undefined: str = ""
    bounds: tuple[float, float] | None = None

    def __post_init__(self):
        if self.direction not in ("higher", "lower"):
            raise ValueError(f"output '{self.name}': direction must be 'higher' or 'lower' "
                             f"(got {self.direction!r})")

    @property
    def higher_is_better(self) -> bool:
        """True when a higher value is better."""
        return self.direction == "higher"

    def best(self, values: pd.Series):
        """The index label of the best of ``values`` (by this output's direction)."""
        return values.idxmax() if self.higher_is_better else values.idxmin()

    def of_means(self, means: Mapping[str, float]) -> float:
        """The output over several runs from the means of its inputs (ratio outputs only)."""
        if self.ratio is None:
            raise ValueError(f"output '{self.name}' is not a ratio")
        numerator, denominator = self.ratio
        return ratio_of(means[numerator], means[denominator])


def ratio_of(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, NaN when the denominator is not positive (as cost per tonne)."""
    return cost_per_tonne(numerator, denominator)


#: The outputs by name, in the order they are computed and shown.
OUTPUTS: dict[str, Output] = {}


def register_output(output: Output, *, replace: bool = False) -> Output:
    """Add an output to the table, so horizon values, compare and sensitivity show it.

    Args:
        output: the output.
        replace: allow replacing an output of the same name.

    Returns:
        The output (so this can be used on a definition).

    Raises:
        ValueError: an output of that name exists and ``replace`` is false.
    """
    if output.name in OUTPUTS and not replace:
        raise ValueError(f"an output named '{output.name}' is already registered")
    OUTPUTS[output.name] = output
    return output


def unregister_output(name: str) -> None:
    """Remove an output from the table (for tests that register their own)."""
    OUTPUTS.pop(name, None)


def output(name: str, *, unit: str, label: str, direction: Direction, undefined: str = ""):
    """Decorator form of :func:`register_output`: the function is the formula.

    Examples:
        >>> @output("demo_residents", unit="residents", label="residents", direction="higher")
        ... def demo_residents(h):
        ...     return h.residents
        >>> "demo_residents" in OUTPUTS
        True
        >>> unregister_output("demo_residents")
    """
    def wrap(compute: Callable[[Horizon], float]) -> Callable[[Horizon], float]:
        register_output(Output(name, unit, label, direction, compute, undefined=undefined))
        return compute
    return wrap


def get_output(name: str) -> Output:
    """The output called ``name``.

    Raises:
        ValueError: no such output; the message lists the registered outputs and the
            closest name.
    """
    try:
        return OUTPUTS[name]
    except KeyError:
        raise ValueError(unknown_output_message(name)) from None


def unknown_output_message(name: str, what: str = "output") -> str:
    """``unknown output 'x'; did you mean 'y'? (outputs: ...)``."""
    close = difflib.get_close_matches(name, list(OUTPUTS), n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"unknown {what} '{name}'{hint} (outputs: {', '.join(OUTPUTS)})"


def horizon_values(tables: Mapping[str, pd.DataFrame],
                   scenario: Scenario | None = None) -> pd.DataFrame:
    """One row: the week, the residents and every registered output at the horizon.

    Adoption by income group is added as ``residents_<group>``, ``adopters_<group>``
    and ``additional_adopters_<group>`` (when the ``income`` table is there).

    Args:
        tables: a finished run's tidy tables.
        scenario: the run's scenario, for the credited tonnes and costs per tonne
            (:mod:`hidsim.evaluation`); without it they are NaN.

    Returns:
        A one-row DataFrame.
    """
    horizon = Horizon(tables, scenario)
    row: dict[str, float] = {"week": horizon.week, "residents": horizon.residents}
    row.update({name: horizon.value(name) for name in OUTPUTS})
    income = horizon.at_horizon("income")
    for group, rows in (income.groupby("income", sort=False) if len(income) else ()):
        row[f"residents_{group}"] = float(rows["residents"].iloc[0])
        row[f"adopters_{group}"] = float(rows["adopters"].sum())
        row[f"additional_adopters_{group}"] = float(
            (rows["adopters"] - rows["counterfactual_adopters"]).sum())
    return pd.DataFrame([row])


def _per_resident_year(hours_per_week: float, residents: float) -> float:
    return hours_per_week * WEEKS_PER_YEAR / residents if residents else np.nan


# The built-in outputs. Model-table columns are read as the model reports them; the rest
# are summed from the district and service tables at the horizon.
for _name, _unit, _label, _direction in (
    ("adopters", "adoptions", "adopters (all services)", "higher"),
    ("avoided_tco2e_per_year", "tCO2e/year", "avoided tCO2e/year at horizon", "higher"),
    ("avoided_tco2e_cumulative", "tCO2e", "avoided tCO2e (cumulative)", "higher"),
    ("hours_saved_per_resident_per_year", "h/resident/year", "hours saved/resident/year",
     "higher"),
    ("pilot_cost_eur", "EUR", "pilot cost EUR", "lower"),
    ("emissions_per_capita_t", "tCO2e/resident/year", "emissions per resident", "lower"),
):
    register_output(Output(_name, _unit, _label, _direction,
                           compute=lambda h, column=_name: float(h.model[column])))

register_output(Output(
    "counterfactual_adopters", "adoptions", "adopters without pilots", "higher",
    compute=lambda h: float(h.services["counterfactual_adopters"].sum())))
register_output(Output(
    "additional_adopters", "adoptions", "adopters added by pilots", "higher",
    compute=lambda h: h.value("adopters") - h.value("counterfactual_adopters")))
register_output(Output(
    "counterfactual_hours_saved_per_resident_per_year", "h/resident/year",
    "hours saved/resident/year without pilots", "higher",
    compute=lambda h: _per_resident_year(
        float(h.districts["counterfactual_hours_saved_per_week"].sum()), h.residents)))
register_output(Output(
    "additional_hours_saved_per_resident_per_year", "h/resident/year",
    "hours saved/resident/year added", "higher",
    compute=lambda h: _per_resident_year(
        float((h.districts["hours_saved_per_week"]
               - h.districts["counterfactual_hours_saved_per_week"]).sum()), h.residents)))
register_output(Output(
    "counterfactual_emissions_per_capita_t", "tCO2e/resident/year",
    "emissions per resident without pilots", "lower",
    compute=lambda h: float(h.districts["counterfactual_emissions_tco2e"].sum()) / h.residents
    if h.residents else np.nan))
# What the pilots achieve (hidsim.evaluation): credited within each pilot's crediting
# period, by part, and the cost per credited tonne for two boundaries.
_UNDEFINED = "nothing was credited (or the run's scenario was not given)"
register_output(Output(
    "credited_tco2e", "tCO2e", "avoided tCO2e credited to the pilots", "higher",
    compute=lambda h: h.evaluated("credited_tco2e"),
    undefined="the run's scenario was not given"))
for _part in PARTS:
    register_output(Output(
        f"credited_tco2e_{_part}", "tCO2e", f"credited tCO2e: {_part.replace('_', ' ')}",
        "higher", compute=lambda h, key=f"credited_tco2e_{_part}": h.evaluated(key),
        undefined="the run's scenario was not given"))
register_output(Output(
    "city_cost_eur", "EUR", "pilot budgets (present value)", "lower",
    compute=lambda h: h.evaluated("city_cost_eur"),
    undefined="the run's scenario was not given"))
register_output(Output(
    "societal_cost_eur", "EUR", "budgets + participants' costs - their savings (PV)", "lower",
    compute=lambda h: h.evaluated("societal_cost_eur"),
    undefined="the run's scenario was not given"))
register_output(Output(
    "eur_per_tco2e", "EUR/tCO2e", "EUR per credited tCO2e (city budget)", "lower",
    compute=lambda h: cost_per_tonne(h.value("city_cost_eur"), h.value("credited_tco2e")),
    ratio=("city_cost_eur", "credited_tco2e"), undefined=_UNDEFINED))
register_output(Output(
    "eur_per_tco2e_societal", "EUR/tCO2e", "EUR per credited tCO2e (society)", "lower",
    compute=lambda h: cost_per_tonne(h.value("societal_cost_eur"), h.value("credited_tco2e")),
    ratio=("societal_cost_eur", "credited_tco2e"), undefined=_UNDEFINED))
register_output(Output(
    "pilots_kept_share", "share", "share of pilot districts that kept the service", "higher",
    compute=lambda h: h.evaluated("pilots_kept_share"),
    undefined="no pilot ended by the horizon, or the scenario was not given", bounds=(0.0, 1.0)))

