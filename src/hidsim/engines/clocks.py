"""Exponential clocks: when each (service, resident) pair next changes status.

A pair whose weekly probability of moving is ``h`` moves in the first week in
which its accumulated hazard ``sum(-log(1 - h))`` passes a threshold
``E ~ Exp(1)``: the same distribution as weekly coin flips, but drawn once per
status. The queue files pairs by the week they are due; pairs due in a far
epoch are sorted into weeks only when that epoch comes near.

A pair's ``E`` is a pure function of (run key, pattern, stage), so it is drawn
only once the pair's hazard is above zero: most pairs of a service that is not
on the market never get a hazard in a run, and never pay for the hash and the
logarithm. Until then their ``remaining`` holds NaN (a value it never takes
otherwise), and the result is the same number whenever it is drawn.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import numpy as np

from hidsim.engines.kernels import EPOCH, NEVER, NUMPY

_WEEK_LIMIT = np.iinfo(np.uint16).max  # `since` is uint16 until a run steps this far


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


class Clocks:
    """Exponential clocks of many pairs, and the queue of the weeks they are due.

    Clocks are indexed ``0 .. size - 1``; the engine maps its pairs to them.

    Args:
        size: number of clocks.
        horizon: the run's last week (clocks due later are not queued).
        key: the run's key (for the thresholds ``E``).
        pattern: maps clock indices to what identifies a pair across worlds (so the
            worlds share ``E``).
        kernels: the bookkeeping functions (:func:`hidsim.engines.kernels.kernels`).
    """

    def __init__(self, size: int, horizon: int, key: int,
                 pattern: Callable[[np.ndarray], np.ndarray], kernels: SimpleNamespace = NUMPY):
        self.key, self.pattern, self.kernels = key, pattern, kernels
        # Every array starts as zero bytes, and a clock whose hazard is 0 at set-up is never
        # written until something changes for it: the pages of a service that stays off the
        # market are never touched, so they take no memory. For that, three arrays store
        # their value XOR the value a fresh clock has:
        # threshold E minus the hazard accumulated so far (NaN: E not drawn yet), as the
        # bits of the float64 XOR those of NaN ...
        self._remaining = np.zeros(size, dtype=np.uint64)
        # ... the week in which the clock rings XOR NEVER ...
        self._due = np.zeros(size, dtype=np.int32)
        # ... and the status changes so far (uint16, wraps harmlessly) XOR 1.
        self._stage = np.zeros(size, dtype=np.uint16)
        # float32 is plenty for a weekly rate and halves the largest array but one.
        self.rate = np.zeros(size, dtype=np.float32)  # -log(1 - h) of the current week
        # Week from which `rate` applies: uint16 while weeks fit (widened if a run goes on).
        self.since = np.zeros(size, dtype=np.uint16)
        # The queue: chunks of (clock, week due) for the open epochs, and of (clock, epoch
        # due) for later ones, in the order they were filed. A week's clocks are those of
        # its chunks' entries in filing order: the same order as one list per week, for a
        # handful of array operations a week however widely the due weeks spread.
        self.near: list[tuple[np.ndarray, np.ndarray]] = []
        self.later: list[tuple[np.ndarray, np.ndarray]] = []
        self.open_epoch = -1  # epochs up to this one are filed by week in `near`
        # Clocks due after the horizon are not filed at all (most never ring in the run);
        # should the run go on that far, they are found again in `due`.
        self.lump = horizon // EPOCH + 1

    @property
    def remaining(self) -> np.ndarray:
        """Threshold minus the hazard accumulated so far, per clock (NaN: not drawn yet)."""
        return (self._remaining ^ _NAN_BITS).view(np.float64)

    @property
    def due(self) -> np.ndarray:
        """The week in which each clock rings (``NEVER``: not in any week)."""
        return self._due ^ NEVER

    @property
    def stage(self) -> np.ndarray:
        """How many times each clock's pair has changed status (uint16, wrapping)."""
        return self._stage ^ np.uint16(1)

    def start(self, clocks: np.ndarray, hazard: np.ndarray) -> None:
        """Week 0: the first status of fresh clocks (never written before).

        The same as :meth:`restart` at week 0, without writing the clocks whose hazard
        is 0: their zero bytes already say so.
        """
        rate = _rate(hazard)
        live = rate > 0
        if live.any():
            clocks, rate = clocks[live], rate[live]
            self._schedule(clocks, self._draw(clocks), rate, 0)

    def restart(self, clocks: np.ndarray, hazard: np.ndarray, week: int) -> None:
        """Start a new status: a fresh threshold ``E`` and a hazard from ``week`` on.

        Args:
            clocks: the clocks.
            hazard: weekly probability of moving, per clock.
            week: the first week of the new status.
        """
        one = np.uint16(1)
        self._stage[clocks] = ((self._stage[clocks] ^ one) + one) ^ one
        rate = _rate(hazard)
        live = rate > 0
        if not live.any():
            # What `_schedule` would store for clocks that never ring (most of a service
            # that is not on the market), without the arithmetic.
            self._widen(week)
            self._remaining[clocks] = 0  # NaN: not drawn
            self.rate[clocks] = rate
            self.since[clocks] = week
            self._due[clocks] = 0  # NEVER
            return
        if live.all():
            remaining = self._draw(clocks)
        else:
            remaining = np.full(len(clocks), np.nan)
            remaining[live] = self._draw(clocks[live])
        self._schedule(clocks, remaining, rate, week)

    def set_rates(self, clocks: np.ndarray, hazard: np.ndarray, week: int) -> None:
        """Give clocks a new weekly hazard from ``week`` on (their threshold stays).

        Args:
            clocks: the clocks.
            hazard: weekly probability of moving, per clock.
            week: the week from which the hazard applies.
        """
        self._widen(week)
        elapsed = week - self.since[clocks].astype(np.int64)
        # Only weeks that passed count; a surely-moving pair (rate inf) rescheduled in the
        # week it got that rate has spent nothing (inf * 0 would be NaN).
        spent = np.zeros(len(clocks))
        np.multiply(self.rate[clocks], elapsed, out=spent, where=elapsed > 0)
        remaining = (self._remaining[clocks] ^ _NAN_BITS).view(np.float64) - spent
        # Not drawn yet: its rate was 0, so nothing was spent and E is what it would have been.
        lazy = np.isnan(remaining)
        if lazy.any():
            remaining[lazy] = self._draw(clocks[lazy])
        self._schedule(clocks, remaining, _rate(hazard), week)

    def _draw(self, clocks: np.ndarray) -> np.ndarray:
        """The threshold ``E`` of clocks at their current stage."""
        stage = self._stage[clocks] ^ np.uint16(1)
        return -np.log(hashed_uniform(self.key, self.pattern(clocks), stage))

    def _widen(self, week: int) -> None:
        """Widen ``since`` to int32 before a week no longer fits in uint16."""
        if week >= _WEEK_LIMIT and self.since.dtype != np.int32:
            self.since = self.since.astype(np.int32)

    def _schedule(self, clocks, remaining, rate, week: int) -> None:
        """Store the clock state and queue the clocks for the week they are due."""
        self._widen(week)
        near, due, far, epoch = self.kernels.schedule(
            clocks, remaining, remaining.view(np.uint64) ^ _NAN_BITS, rate, week,
            self.open_epoch, self.lump, self._remaining, self.rate, self.since, self._due,
        )
        if len(near):
            self.near.append((near, due))
        if len(far):
            self.later.append((far, epoch))

    def enqueue(self, clocks: np.ndarray, due: np.ndarray) -> None:
        """File clocks under the week they are due (or the epoch, if that is not open yet)."""
        if len(clocks) == 0:
            return
        epoch = due // EPOCH
        near = epoch <= self.open_epoch
        if near.all():
            self.near.append((clocks.astype(np.int32), due))
            return
        far = ~near & (epoch < self.lump)
        if near.any():
            self.near.append((clocks[near].astype(np.int32), due[near]))
        if far.any():
            self.later.append((clocks[far].astype(np.int32), epoch[far]))

    def pop(self, week: int) -> np.ndarray:
        """Clocks due in ``week`` (stale entries, rescheduled since, dropped)."""
        while week // EPOCH > self.open_epoch:
            self.open_epoch += 1
            if self.open_epoch == self.lump:
                self.lump *= 2
                due = self.due
                clocks = np.flatnonzero((due // EPOCH >= self.open_epoch) & (due != NEVER))
                self.enqueue(clocks, due[clocks])
                continue
            batch = _take(self.later, self.open_epoch)
            if len(batch):
                clocks = distinct(batch)
                due = self._due[clocks] ^ NEVER
                keep = due // EPOCH == self.open_epoch
                if keep.any():
                    self.near.append((clocks[keep], due[keep]))
        batch = _take(self.near, week)
        if len(batch) == 0:
            return np.empty(0, dtype=np.int64)
        clocks = distinct(batch)
        return clocks[(self._due[clocks] ^ NEVER) == week].astype(np.int64)


def _take(chunks: list[tuple[np.ndarray, np.ndarray]], key: int) -> np.ndarray:
    """Remove and return the entries filed under ``key``, in filing order.

    Entries under earlier keys are dropped too (their week has passed); the rest stay
    as one chunk.
    """
    if not chunks:
        return np.empty(0, dtype=np.int32)
    if len(chunks) == 1:
        clocks, keys = chunks[0]
    else:
        clocks = np.concatenate([c for c, _ in chunks])
        keys = np.concatenate([k for _, k in chunks])
    chunks.clear()
    rest = keys > key
    if rest.any():
        chunks.append((clocks[rest], keys[rest]))
    return clocks[keys == key]


_NAN_BITS = np.float64(np.nan).view(np.uint64)  # the stored remaining of a fresh clock


def _rate(hazard: np.ndarray) -> np.ndarray:
    """``-log(1 - h)`` as stored (float32); ``inf`` for a sure move."""
    with np.errstate(divide="ignore"):
        return (-np.log1p(-np.minimum(hazard, 1.0))).astype(np.float32)


def distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values of an int array, each at its last position, in position order.

    Deterministic (no hash order); O(n log n) without a scratch array the size of
    every clock.
    """
    if len(values) < 2:
        return values
    last = last_positions(values)
    return values[last]


def last_positions(values: np.ndarray) -> np.ndarray:
    """Sorted positions of the last occurrence of each distinct value of ``values``."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    # In a stable sort, the last of each run of equal values is its last occurrence.
    ends = np.empty(len(values), dtype=bool)
    ends[-1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=ends[:-1])
    return np.sort(order[ends])
