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
from hidsim.engines.base import Event, make_branches
from hidsim.engines.clocks import Clocks
from hidsim.engines.kernels import kernels
from hidsim.parameters import Parameters
from hidsim.state import ADOPTER, AWARE
from hidsim.transitions import transition_chance
from hidsim.world import SyntheticPopulation

_CHUNK = 1 << 15  # residents per slice of a whole row (set-up, pilot events)
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
        layers = len(self.branches)
        # A service no pilot touches evolves in the counterfactual exactly as in the scenario
        # (same statuses, ties, outreach and thresholds E): its counterfactual row copies the
        # scenario's moves instead of running clocks of its own, which halves its cost.
        self.copied = ~np.asarray(piloted, dtype=bool)
        # Only rows with clocks of their own ("active": every scenario row, and the
        # counterfactual rows of piloted services) get clocks and tie counts, numbered in
        # row order so that a pair and its clock sort alike.
        n_rows = layers * self.n_services
        active = np.array([r < self.n_services or not self.copied[r % self.n_services]
                           for r in range(n_rows)])
        self.active_rows = np.flatnonzero(active)
        self.slot = np.full(n_rows, -1, dtype=np.int64)
        self.slot[self.active_rows] = np.arange(len(self.active_rows))
        self.shift = (self.slot - np.arange(n_rows)) * self.n  # pair + shift = clock
        self.unshift = (self.active_rows - np.arange(len(self.active_rows))) * self.n
        #: The bookkeeping functions, compiled when numba is there (HIDSIM_KERNELS overrides).
        self.kernels = kernels()
        self.clocks = Clocks(len(self.active_rows) * self.n, horizon, self.key, self._pattern,
                             self.kernels)
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
        # Ties are unweighted, so exposure = adopting ties / ties, counted exactly in integers
        # of the smallest type that holds any resident's degree.
        self.adopting_ties = np.zeros(self.clocks.rate.size, dtype=_count_type(population.degree))
        adopted = (stack.status == ADOPTER).reshape(n_rows, self.n)[self.active_rows]
        if adopted.any():
            counts = population.ties @ adopted.T.astype(np.float64)
            self.adopting_ties[:] = np.rint(counts).T.astype(self.adopting_ties.dtype).ravel()
        # One service row at a time keeps the temporary arrays of the first schedule small.
        for row in self.active_rows:
            for a, b in self._chunks():
                clocks = np.arange(self.slot[row] * self.n + a, self.slot[row] * self.n + b)
                self.clocks.start(clocks, self._row_hazard(row, a, b))

    # -- the engine interface ----------------------------------------------------------------------
    def step(self, week: int) -> None:
        """Advance both branches one week: move the due pairs, then update their ties."""
        ringing = self.clocks.pop(week)
        if len(ringing):
            due = self._pairs(ringing)
            new = _NEXT_STATUS[self.status[due]]
            twin = (due < self.n_services * self.n) & self.copied[due // self.n % self.n_services]
            touched = self._apply(due, new)
            for layer in range(1, len(self.branches)):
                offset = layer * self.n_services * self.n
                self._apply(due[twin] + offset, new[twin], exposures=False)
            pairs = self._pairs(touched)
            status = self.status[pairs]
            keep = status != ADOPTER  # adopters ignore their ties
            if not self.params.rule.uses_exposure:
                # Aware residents' hazard ignores their ties under such a rule.
                keep &= status != AWARE
            touched, pairs = touched[keep], pairs[keep]
            # One hazard for the moved pairs and their ties: restarting clocks changes
            # nothing a hazard reads, so it can be computed before.
            hazard = self._hazard(np.concatenate([due, pairs]), np.concatenate([ringing, touched]))
            self.clocks.restart(ringing, hazard[:len(due)], week + 1)
            if len(touched):
                self.clocks.set_rates(touched, hazard[len(due):], week + 1)

    def apply(self, event: Event, week: int) -> None:
        """Apply a pilot event: take in changed statuses, recompute the service's hazards."""
        for b in event.branches:
            new_row = event.apply_to(self.branches[b])
            row = b * self.n_services + event.service
            # A copied row has no clocks of its own: it takes the statuses and moves of the
            # scenario branch's row, which only events of both branches can keep equal.
            clocked = self.slot[row] >= 0
            if new_row is not None:
                first = row * self.n
                changed = first + np.flatnonzero(self.status[first:first + self.n] != new_row)
                if len(changed):
                    self._apply(changed, new_row[changed - first], exposures=clocked)
                    if clocked:
                        self._restart(changed, week)
            if clocked:
                for a, c in self._chunks():
                    clocks = np.arange(self.slot[row] * self.n + a, self.slot[row] * self.n + c)
                    self.clocks.set_rates(clocks, self._row_hazard(row, a, c), week)

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
            The clocks whose exposure changed (ties of starters and stoppers).
        """
        population, k = self.population, self.kernels
        row, i, gain = k.apply_moves(
            self.status, pairs, new.astype(np.int8), self.n, self.n_services,
            self.adopters.shape[-1], self.by_income.shape[-1], population.home, population.income,
            self.params.services.hours_saved, self.adopters.reshape(-1), self.aware.reshape(-1),
            self.by_income.reshape(-1), self.hours.reshape(-1),
        )
        if len(gain) == 0:
            return np.empty(0, dtype=np.int64)
        unique = np.empty(0, dtype=np.int64)
        if exposures:
            ties = population.ties
            unique = k.count_ties(ties.indptr, ties.indices, self.slot, self.n, row, i, gain,
                                  self.adopting_ties)
        layer = row // self.n_services
        for b in np.unique(layer):
            self._update_footprints(b, _distinct(i[layer == b], self.resident_scratch))
        return unique

    def _update_footprints(self, layer: int, residents: np.ndarray) -> None:
        """Recompute the footprints of residents whose services changed; adjust district totals."""
        population, params = self.population, self.params
        status = self.stack.status[layer][:, residents]
        new = footprints(status, population.footprint[residents], params.services, params.rebound)
        delta = new - self.foot[layer, residents]
        self.foot[layer, residents] = new
        self.kernels.add_emissions(self.emissions[layer], delta, population.home[residents])

    def _restart(self, pairs: np.ndarray, week: int, clocks: np.ndarray | None = None) -> None:
        """A new status for pairs: a fresh threshold (shared by the worlds) and hazard."""
        clocks = self._clocks(pairs) if clocks is None else clocks
        self.clocks.restart(clocks, self._hazard(pairs, clocks), week)

    def _hazard(self, pairs: np.ndarray, clocks: np.ndarray) -> np.ndarray:
        """This week's probability that each pair leaves its status."""
        row, i = np.divmod(pairs, self.n)
        exposure = self.adopting_ties[clocks] / self.degree[i]
        home = self.population.home[i]
        partner = self.rows.partner_access[row, i]
        offered = self.rows.available[row, home] | partner
        return transition_chance(
            self.params, row % self.n_services, i, self.status[pairs], exposure,
            self.rows.outreach[row, home], offered, partner,
        )

    def _row_hazard(self, row: int, a: int, b: int) -> np.ndarray:
        """:meth:`_hazard` of the pairs of residents ``a:b`` of a row (gathered by slices)."""
        n, slot = self.n, self.slot[row]
        exposure = self.adopting_ties[slot * n + a:slot * n + b] / self.degree[a:b]
        home = self.population.home[a:b]
        partner = self.rows.partner_access[row, a:b]
        offered = self.rows.available[row][home] | partner
        return transition_chance(
            self.params, np.full(b - a, row % self.n_services), np.arange(a, b),
            self.status[row * n + a:row * n + b], exposure, self.rows.outreach[row][home],
            offered, partner,
        )

    def _chunks(self):
        """Residents ``a:b`` in slices of at most ``_CHUNK``: whole rows, small temporaries.

        Clocks file themselves in the order they are given, so a row in slices is
        queued exactly as the whole row would be.
        """
        for a in range(0, self.n, _CHUNK):
            yield a, min(a + _CHUNK, self.n)

    # -- pairs and their clocks --------------------------------------------------------------------
    def _clocks(self, pairs: np.ndarray) -> np.ndarray:
        """The clocks of pairs of active rows."""
        return pairs + self.shift[pairs // self.n]

    def _pairs(self, clocks: np.ndarray) -> np.ndarray:
        """The pairs of clocks."""
        return clocks + self.unshift[clocks // self.n]

    def _pattern(self, clocks: np.ndarray) -> np.ndarray:
        """What identifies a clock's pair across worlds: (service, resident), world left out."""
        return self._pairs(clocks) % (self.n_services * self.n)


def _count_type(degree: np.ndarray) -> type:
    """The smallest signed integer type that holds every count of adopting ties."""
    top = int(degree.max()) if len(degree) else 0
    for kind in (np.int8, np.int16, np.int32):
        if top <= np.iinfo(kind).max:
            return kind
    return np.int64


def _distinct(values: np.ndarray, scratch: np.ndarray) -> np.ndarray:
    """The distinct values of an int array in O(n), each at its last position, in order.

    ``scratch`` is a reusable int array longer than the largest value.
    """
    positions = np.arange(len(values))
    scratch[values] = positions
    return values[scratch[values] == positions]
