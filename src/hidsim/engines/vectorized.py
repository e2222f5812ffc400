"""The vectorized engine: the same weekly step over arrays, paying only for change.

Every (service, resident) pair has a weekly probability ``h`` of leaving its
status (:func:`~hidsim.engines.common.transition_chance`). While ``h`` stays
the same, weekly coin flips with probability ``h`` are the same as one
exponential clock: the pair moves in the first week in which its accumulated
hazard ``sum(-log(1 - h))`` passes a threshold ``E ~ Exp(1)``. So the engine
draws ``E`` once per status, computes the week the pair is due, and touches a
pair again only when it is due or when its ``h`` changes: a tie adopted or
stopped, or a pilot event changed the service. The cost of a week grows with
the residents who change and their ties, not with the population.

``E`` comes from a counter-based hash of (run key, service, resident, stage),
so the scenario and the counterfactual world draw the very same numbers for
the same resident, and results do not depend on the order of the arrays.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from hidsim.accounting import Tally, footprints, tally
from hidsim.engines.common import transition_chance
from hidsim.state import ADOPTER, AWARE

NEVER = np.iinfo(np.int32).max
EPOCH = 32  # weeks per coarse bucket: far-off pairs are sorted into weeks only when near
_NEXT_STATUS = np.array([AWARE, ADOPTER, AWARE], dtype=np.int8)  # indexed by current status


def hashed_uniform(key: int, pair: np.ndarray, stage: np.ndarray) -> np.ndarray:
    """Uniform numbers in (0, 1) from a counter-based hash (splitmix64 finaliser).

    Args:
        key: the run's key (from its SeedSequence).
        pair: flat (service, resident) indices.
        stage: how many times each pair has changed status.

    Returns:
        One float64 in (0, 1) per pair, the same for the same inputs on any machine.
    """
    x = (
        np.uint64(key)
        + pair.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        + stage.astype(np.uint64) * np.uint64(0xD1B54A32D192ED03)
    )
    for shift, mult in ((30, 0xBF58476D1CE4E5B9), (27, 0x94D049BB133111EB)):
        x ^= x >> np.uint64(shift)
        x *= np.uint64(mult)
    x ^= x >> np.uint64(31)
    return ((x >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0**-53


class _Clocks:
    """Per-world bookkeeping of the exponential clocks (flat index ``s * N + i``)."""

    def __init__(self, size: int, horizon: int):
        self.remaining = np.zeros(size)  # threshold E minus the hazard accumulated so far
        # float32 is plenty for a weekly rate and halves the largest array but one.
        self.rate = np.zeros(size, dtype=np.float32)  # -log(1 - h) of the current week
        self.since = np.zeros(size, dtype=np.int32)  # week from which `rate` applies
        self.due = np.full(size, NEVER, dtype=np.int32)  # week in which the pair moves
        self.stage = np.zeros(size, dtype=np.uint16)  # status changes so far (wraps harmlessly)
        self.scratch = np.zeros(size, dtype=np.int32)  # for `distinct`
        self.queue: dict[int, list[np.ndarray]] = defaultdict(list)  # week -> pairs due
        self.later: dict[int, list[np.ndarray]] = defaultdict(list)  # epoch -> pairs due then
        self.open_epoch = -1  # epochs up to this one are filed by week in `queue`
        # Pairs due after the horizon are not filed at all (most never move in the run);
        # should the run go on that far, they are found again in `due`.
        self.lump = horizon // EPOCH + 1

    def enqueue(self, pairs: np.ndarray, due: np.ndarray) -> None:
        """File pairs under the week they are due (or the epoch, if that is not open yet)."""
        epoch = due // EPOCH
        near = epoch <= self.open_epoch
        far = ~near & (epoch < self.lump)
        _file(self.queue, pairs[near].astype(np.int32), due[near])
        _file(self.later, pairs[far].astype(np.int32), epoch[far])

    def pop(self, week: int) -> np.ndarray:
        """Pairs due in ``week`` (stale entries, rescheduled since, dropped)."""
        while week // EPOCH > self.open_epoch:
            self.open_epoch += 1
            if self.open_epoch == self.lump:
                self.lump *= 2
                pairs = np.flatnonzero((self.due // EPOCH >= self.open_epoch) & (self.due != NEVER))
                self.enqueue(pairs, self.due[pairs])
                continue
            batch = self.later.pop(self.open_epoch, [])
            if batch:
                pairs = distinct(np.concatenate(batch), self.scratch)
                pairs = pairs[self.due[pairs] // EPOCH == self.open_epoch]
                _file(self.queue, pairs, self.due[pairs])
        batch = self.queue.pop(week, [])
        if not batch:
            return np.empty(0, dtype=np.int64)
        pairs = distinct(np.concatenate(batch), self.scratch)
        return pairs[self.due[pairs] == week].astype(np.int64)


def distinct(values: np.ndarray, scratch: np.ndarray) -> np.ndarray:
    """The distinct values of an int array in O(n), without sorting.

    ``scratch`` is a reusable int array longer than the largest value; each
    value keeps its last position, so the result is deterministic.
    """
    positions = np.arange(len(values))
    scratch[values] = positions
    return values[scratch[values] == positions]


def _add(table: np.ndarray, rows: np.ndarray, cols: np.ndarray, values: np.ndarray) -> None:
    """``table[rows, cols] += values`` with repeated cells summed (bincount, not ufunc.at)."""
    flat = np.bincount(rows * table.shape[1] + cols, weights=values, minlength=table.size)
    table += flat.reshape(table.shape).astype(table.dtype)


def _file(queue: dict, pairs: np.ndarray, keys: np.ndarray) -> None:
    """Append pairs to ``queue[key]``, one slice per distinct key."""
    if len(pairs) == 0:
        return
    order = np.argsort(keys, kind="stable")
    pairs, keys = pairs[order], keys[order]
    bounds = np.r_[0, np.flatnonzero(np.diff(keys)) + 1, len(keys)]
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        queue[int(keys[a])].append(pairs[a:b])


class VectorizedEngine:
    """Both worlds as arrays, advanced by due pairs and changed ties.

    Args:
        model: the model.
        rng: generator the run key is drawn from.
    """

    name = "vectorized"

    def __init__(self, model, rng: np.random.Generator):
        self.model = model
        self.key = int(rng.integers(0, 2**63))
        population = model.population
        self.n = population.size
        self.pairs = len(model.services) * self.n
        self.degree = np.maximum(population.degree, 1).astype(np.float64)
        self.resident_scratch = np.zeros(self.n, dtype=np.int32)
        self.clocks = {w.name: _Clocks(self.pairs, model.horizon) for w in model.worlds}
        self.known = {w.name: w.status.copy() for w in model.worlds}
        self.tallies: dict[str, Tally] = {}
        self.foot: dict[str, np.ndarray] = {}
        self.adopting_ties: dict[str, np.ndarray] = {}
        rebound = model.dynamics.rebound
        for w in model.worlds:
            adopted = (w.status == ADOPTER).astype(np.float64)
            # Ties are unweighted, so exposure is adopting ties / ties, counted exactly in integers.
            self.adopting_ties[w.name] = (
                np.rint(population.ties @ adopted.T).T.astype(np.int32).ravel()
            )
            self.tallies[w.name] = tally(w, population, model.services, rebound)
            self.foot[w.name] = footprints(w.status, population.footprint, model.services, rebound)
            # One service at a time keeps the temporary arrays of the first schedule small.
            for s in range(len(model.services)):
                self._new_stage(w, np.arange(s * self.n, (s + 1) * self.n), model.week)

    # -- the weekly step -------------------------------------------------------------------------
    def step(self) -> None:
        """Advance both worlds one week: move the due pairs, then update their ties."""
        week = self.model.week
        for w in self.model.worlds:
            due = self.clocks[w.name].pop(week)
            if len(due):
                flat = w.status.reshape(-1)
                touched = self._apply(w, due, _NEXT_STATUS[flat[due]])
                self._refresh(w, due, touched, week + 1)

    def notify(self, state, service: int) -> None:
        """A pilot event changed a service: take in seeded statuses, recompute its hazards."""
        known = self.known[state.name]
        changed = np.flatnonzero(state.status[service] != known[service])
        if len(changed):
            pairs = service * self.n + changed
            new = state.status[service, changed].copy()
            state.status[service, changed] = known[service, changed]
            self._apply(state, pairs, new)
            self._new_stage(state, pairs, self.model.week)
        self._reschedule(state, service * self.n + np.arange(self.n), self.model.week)

    def tally(self, state) -> Tally:
        """The world's running tally (kept up to date, not recounted)."""
        return self.tallies[state.name]

    # -- bookkeeping -----------------------------------------------------------------------------
    def _apply(self, w, pairs: np.ndarray, new: np.ndarray) -> np.ndarray:
        """Set new statuses and update counts, exposures and footprints incrementally.

        Returns:
            The (service, tie) pairs whose exposure changed.
        """
        model, population, n = self.model, self.model.population, self.n
        flat = w.status.reshape(-1)
        old = flat[pairs].copy()
        flat[pairs] = new
        self.known[w.name].reshape(-1)[pairs] = new
        s, i = np.divmod(pairs, n)
        t, home = self.tallies[w.name], population.home[i]
        gain = (new == ADOPTER).astype(np.int64) - (old == ADOPTER)
        _add(t.adopters, s, home, gain)
        _add(t.aware, s, home, (new == AWARE).astype(np.int64) - (old == AWARE))
        _add(t.adopters_by_income, s, population.income[i], gain)
        moved = gain != 0
        if not moved.any():
            return np.empty(0, dtype=np.int64)
        s, i, gain = s[moved], i[moved], gain[moved]
        t.hours_saved += np.bincount(
            population.home[i],
            weights=gain * model.services.hours_saved[s],
            minlength=len(t.hours_saved),
        )
        # Ties of residents who started or stopped see a different exposure next week.
        ties = population.ties
        counts = np.diff(ties.indptr)[i]
        starts = np.repeat(ties.indptr[i] - np.cumsum(counts) + counts, counts)
        touched = np.repeat(s, counts) * n + ties.indices[starts + np.arange(counts.sum())]
        scratch = self.clocks[w.name].scratch
        unique = distinct(touched, scratch)
        scratch[unique] = np.arange(len(unique))
        self.adopting_ties[w.name][unique] += np.bincount(
            scratch[touched], weights=np.repeat(gain, counts), minlength=len(unique)
        ).astype(np.int32)
        self._update_footprints(w, distinct(i, self.resident_scratch))
        return unique

    def _update_footprints(self, w, residents: np.ndarray) -> None:
        """Recompute the footprints of residents whose services changed; adjust district totals."""
        model, population = self.model, self.model.population
        foot = self.foot[w.name]
        new = footprints(
            w.status[:, residents],
            population.footprint[residents],
            model.services,
            model.dynamics.rebound,
        )
        delta = new - foot[residents]
        foot[residents] = new
        emissions, homes = self.tallies[w.name].emissions, population.home[residents]
        for dom in range(foot.shape[1]):
            emissions[dom] += np.bincount(
                homes, weights=delta[:, dom], minlength=emissions.shape[1]
            )

    def _refresh(self, w, moved: np.ndarray, touched: np.ndarray, week: int) -> None:
        """After a week's moves: new clocks for the movers, new hazards for their ties."""
        self._new_stage(w, moved, week)
        if len(touched):
            flat = w.status.reshape(-1)
            touched = touched[flat[touched] != ADOPTER]  # an adopter's hazard ignores its ties
            self._reschedule(w, touched, week)

    def _new_stage(self, w, pairs: np.ndarray, week: int) -> None:
        """Start a new status for pairs: a fresh threshold E, shared by both worlds."""
        clocks = self.clocks[w.name]
        clocks.stage[pairs] += 1
        clocks.remaining[pairs] = -np.log(hashed_uniform(self.key, pairs, clocks.stage[pairs]))
        clocks.rate[pairs] = 0.0
        clocks.since[pairs] = week
        self._reschedule(w, pairs, week)

    def _reschedule(self, w, pairs: np.ndarray, week: int) -> None:
        """Recompute hazards of pairs from ``week`` on and find the week each is due."""
        if len(pairs) == 0:
            return
        clocks, n = self.clocks[w.name], self.n
        clocks.remaining[pairs] -= clocks.rate[pairs] * (week - clocks.since[pairs])
        s, i = np.divmod(pairs, n)
        status = w.status.reshape(-1)[pairs]
        exposure = self.adopting_ties[w.name][pairs] / self.degree[i]
        h = transition_chance(self.model, w, s, i, status, exposure)
        with np.errstate(divide="ignore"):
            rate = (-np.log1p(-np.minimum(h, 1.0))).astype(np.float32)  # as stored
            weeks = np.ceil(clocks.remaining[pairs] / rate)
        weeks = np.where(rate > 0, np.maximum(weeks, 1.0), np.inf)
        due = np.where(weeks < NEVER - week, week + weeks - 1, NEVER).astype(np.int32)
        clocks.rate[pairs] = rate
        clocks.since[pairs] = week
        clocks.due[pairs] = due
        soon = due != NEVER
        clocks.enqueue(pairs[soon], due[soon])
