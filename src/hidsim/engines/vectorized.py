"""The vectorized engine: the same weekly step over arrays, paying only for change.

Every (branch, service, resident) pair has a weekly probability ``h`` of
leaving its status (:func:`~hidsim.transitions.transition_chance`). While
``h`` stays the same, the pair's exponential clock (:mod:`.clocks`) says in
which week it moves, so the engine touches a pair only when it is due or when
its ``h`` changes: one of its ties started or stopped using the service, or a
pilot event changed the service. The cost of a week grows with the residents
who change and their ties, not with the population.

Both branches (scenario and counterfactual) are handled in the same arrays, one
stacked on the other (:class:`~hidsim.state.BranchStack`), so each week is one
pass. A pair's threshold ``E`` is hashed from (run key, service, resident,
stage) without the branch, so the two branches draw the very same numbers.
"""

from __future__ import annotations

import numpy as np

from hidsim.accounting import Tally, footprints, tally
from hidsim.engines.base import make_branches
from hidsim.engines.clocks import Clocks, distinct
from hidsim.parameters import Parameters
from hidsim.pilots import PilotEvent
from hidsim.state import ADOPTER, AWARE
from hidsim.transitions import transition_chance
from hidsim.world import SyntheticPopulation

_NEXT_STATUS = np.array([AWARE, ADOPTER, AWARE], dtype=np.int8)  # indexed by current status


class _Rows:
    """The stacked branches seen as one state whose rows are (branch, service)."""

    def __init__(self, stack):
        layers, services = stack.status.shape[:2]
        self.available = stack.available.reshape(layers * services, -1)
        self.outreach = stack.outreach.reshape(layers * services, -1)
        self.partner_access = stack.partner_access.reshape(layers * services, -1)


class VectorizedEngine:
    """Both branches as arrays, advanced by due pairs and changed ties.

    A pair's flat index is ``(branch * S + service) * N + resident``.

    Args:
        population: the synthetic population.
        params: the run's parameters.
        rng: generator the run key is drawn from.
        horizon: the run's last week (clocks due later are not queued).
        piloted: services some pilot touches, shape (S,), bool.
        residents: unused (this engine needs no Mesa agents).
    """

    name = "vectorized"
    needs_agents = False

    def __init__(self, population: SyntheticPopulation, params: Parameters,
                 rng: np.random.Generator, *, horizon: int, piloted: np.ndarray, residents=None):
        self.population, self.params = population, params
        self.key = int(rng.integers(0, 2**63))
        self.n, self.n_services = population.size, len(params.services)
        stack = make_branches(population, params)
        self.stack, self.rows, self.branches = stack, _Rows(stack), stack.states
        self.status = stack.status.reshape(-1)  # a view: engine and branch states share it
        self.degree = np.maximum(population.degree, 1).astype(np.float64)
        self.resident_scratch = np.zeros(self.n, dtype=np.int32)
        self.clocks = Clocks(self.status.size, horizon)
        layers = len(self.branches)
        # Running tallies, stacked like the branches; each branch's Tally holds views.
        self.foot = np.stack(
            [
                footprints(b.status, population.footprint, params.services, params.rebound)
                for b in self.branches
            ]
        )
        counts = [
            tally(b, population, params.services, params.rebound, foot=self.foot[k])
            for k, b in enumerate(self.branches)
        ]
        self.adopters = np.stack([c.adopters for c in counts])
        self.aware = np.stack([c.aware for c in counts])
        self.by_income = np.stack([c.adopters_by_income for c in counts])
        self.emissions = np.stack([c.emissions for c in counts])
        self.hours = np.stack([c.hours_saved for c in counts])
        self.tallies = [
            Tally(
                self.adopters[k], self.aware[k], self.by_income[k], self.emissions[k], self.hours[k]
            )
            for k in range(layers)
        ]
        # Ties are unweighted, so exposure = adopting ties / ties, counted exactly in integers.
        adopted = (stack.status == ADOPTER).reshape(layers * self.n_services, self.n)
        self.adopting_ties = np.zeros(adopted.size, dtype=np.int32)
        if adopted.any():
            counts = population.ties @ adopted.T.astype(np.float64)
            self.adopting_ties[:] = np.rint(counts).T.astype(np.int32).ravel()
        # A service no pilot touches evolves in the counterfactual exactly as in the scenario
        # (same statuses, ties, outreach and thresholds E): its counterfactual row copies the
        # scenario's moves instead of running clocks of its own, which halves its cost.
        self.copied = ~np.asarray(piloted, dtype=bool)
        # One service row at a time keeps the temporary arrays of the first schedule small.
        for row in range(layers * self.n_services):
            if row < self.n_services or not self.copied[row % self.n_services]:
                self._restart(np.arange(row * self.n, (row + 1) * self.n), 0)

    # -- the engine interface ----------------------------------------------------------------------
    def step(self, week: int) -> None:
        """Advance both branches one week: move the due pairs, then update their ties."""
        due = self.clocks.pop(week)
        if len(due):
            new = _NEXT_STATUS[self.status[due]]
            twin = (due < self.n_services * self.n) & self.copied[due // self.n % self.n_services]
            touched = self._apply(due, new)
            for layer in range(1, len(self.branches)):
                offset = layer * self.n_services * self.n
                self._apply(due[twin] + offset, new[twin], exposures=False)
            self._restart(due, week + 1)
            touched = touched[self.status[touched] != ADOPTER]  # adopters ignore their ties
            if not self.params.rule.uses_exposure:
                # Aware residents' hazard ignores their ties under such a rule.
                touched = touched[self.status[touched] != AWARE]
            self._reschedule(touched, week + 1)

    def apply(self, event: PilotEvent, week: int) -> None:
        """Apply a pilot event: take in changed statuses, recompute the service's hazards."""
        for b in event.branches:
            new_row = event.apply_to(self.branches[b])
            row = b * self.n_services + event.service
            pairs = np.arange(row * self.n, (row + 1) * self.n)
            # A copied row has no clocks of its own: it takes the statuses and moves of the
            # scenario branch's row, which only events of both branches can keep equal.
            clocked = b == 0 or not self.copied[event.service]
            if new_row is not None:
                changed = pairs[self.status[pairs] != new_row]
                if len(changed):
                    self._apply(changed, new_row[changed - row * self.n], exposures=clocked)
                    if clocked:
                        self._restart(changed, week)
            if clocked:
                self._reschedule(pairs, week)

    def tally(self, branch: int) -> Tally:
        """The branch's running tally (kept up to date, not recounted)."""
        return self.tallies[branch]

    # -- bookkeeping -------------------------------------------------------------------------------
    def _apply(self, pairs: np.ndarray, new: np.ndarray, exposures: bool = True) -> np.ndarray:
        """Set new statuses; update tallies, tie exposures and footprints incrementally.

        Args:
            pairs: the pairs that move.
            new: their new statuses.
            exposures: whether to update their ties' exposures (not for copied rows,
                which have no clocks of their own).

        Returns:
            The pairs whose exposure changed (ties of starters and stoppers).
        """
        population, n, n_s = self.population, self.n, self.n_services
        old = self.status[pairs]
        self.status[pairs] = new
        row, i = np.divmod(pairs, n)
        layer, s = np.divmod(row, n_s)
        home = population.home[i]
        gain = (new == ADOPTER).astype(np.int64) - (old == ADOPTER)
        _add(self.adopters, row, home, gain)
        _add(self.aware, row, home, (new == AWARE).astype(np.int64) - (old == AWARE))
        _add(self.by_income, row, population.income[i], gain)
        moved = gain != 0
        if not moved.any():
            return np.empty(0, dtype=np.int64)
        row, layer, s, i, gain = row[moved], layer[moved], s[moved], i[moved], gain[moved]
        _add(self.hours, layer, population.home[i], gain * self.params.services.hours_saved[s])
        unique = np.empty(0, dtype=np.int64)
        if exposures:
            unique = self._count_adopting_ties(row, i, gain)
        for k in np.unique(layer):
            self._update_footprints(k, distinct(i[layer == k], self.resident_scratch))
        return unique

    def _count_adopting_ties(self, row, i, gain) -> np.ndarray:
        """Ties of residents who started or stopped see a different exposure next week."""
        ties, n = self.population.ties, self.n
        counts = np.diff(ties.indptr)[i]
        starts = np.repeat(ties.indptr[i] - np.cumsum(counts) + counts, counts)
        touched = np.repeat(row, counts) * n + ties.indices[starts + np.arange(counts.sum())]
        scratch = self.clocks.scratch
        unique = distinct(touched, scratch)
        scratch[unique] = np.arange(len(unique))
        self.adopting_ties[unique] += np.bincount(
            scratch[touched], weights=np.repeat(gain, counts), minlength=len(unique)
        ).astype(np.int32)
        return unique

    def _update_footprints(self, layer: int, residents: np.ndarray) -> None:
        """Recompute the footprints of residents whose services changed; adjust district totals."""
        population, params = self.population, self.params
        status = self.stack.status[layer][:, residents]
        new = footprints(status, population.footprint[residents], params.services, params.rebound)
        delta = new - self.foot[layer, residents]
        self.foot[layer, residents] = new
        emissions = self.emissions[layer]
        domains = np.broadcast_to(np.arange(emissions.shape[0]), delta.shape)
        homes = np.broadcast_to(population.home[residents][:, None], delta.shape)
        _add(emissions, domains.ravel(), homes.ravel(), delta.ravel())

    def _restart(self, pairs: np.ndarray, week: int) -> None:
        """A new status for pairs: a fresh threshold (shared by the worlds) and hazard."""
        pattern = pairs % (self.n_services * self.n)  # (service, resident), world left out
        self.clocks.restart(pairs, self.key, pattern, self._hazard(pairs), week)

    def _reschedule(self, pairs: np.ndarray, week: int) -> None:
        """Recompute the weekly hazard of pairs from ``week`` on."""
        if len(pairs):
            self.clocks.set_rates(pairs, self._hazard(pairs), week)

    def _hazard(self, pairs: np.ndarray) -> np.ndarray:
        """This week's probability that each pair leaves its status."""
        row, i = np.divmod(pairs, self.n)
        exposure = self.adopting_ties[pairs] / self.degree[i]
        home = self.population.home[i]
        partner = self.rows.partner_access[row, i]
        offered = self.rows.available[row, home] | partner
        return transition_chance(
            self.params, row % self.n_services, i, self.status[pairs], exposure,
            self.rows.outreach[row, home], offered, partner,
        )


def _add(table: np.ndarray, rows: np.ndarray, cols: np.ndarray, values: np.ndarray) -> None:
    """``table[rows, cols] += values`` on the table's first two axes flattened, summing repeats."""
    view = table.reshape(-1, table.shape[-1])
    flat = np.bincount(rows * view.shape[1] + cols, weights=values, minlength=view.size)
    view += flat.reshape(view.shape).astype(table.dtype)
