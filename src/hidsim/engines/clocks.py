"""Exponential clocks: when each (service, resident) pair next changes status.

A pair whose weekly probability of moving is ``h`` moves in the first week in
which its accumulated hazard ``sum(-log(1 - h))`` passes a threshold
``E ~ Exp(1)``: the same distribution as weekly coin flips, but drawn once per
status. The queue files pairs by the week they are due; pairs due in a far
epoch are sorted into weeks only when that epoch comes near.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

NEVER = np.iinfo(np.int32).max
EPOCH = 32  # weeks per coarse bucket: far-off pairs are sorted into weeks only when near


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

    Args:
        size: number of pairs.
        horizon: the run's last week (pairs due later are not queued).
    """

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

    def restart(self, pairs, key: int, pattern, hazard, week: int) -> None:
        """Start a new status: a fresh threshold ``E`` and a hazard from ``week`` on.

        Args:
            pairs: the pairs.
            key: the run's key.
            pattern: what identifies a pair across worlds (so they share ``E``).
            hazard: weekly probability of moving, per pair.
            week: the first week of the new status.
        """
        self.stage[pairs] += 1
        remaining = -np.log(hashed_uniform(key, pattern, self.stage[pairs]))
        self._schedule(pairs, remaining, hazard, week)

    def set_rates(self, pairs, hazard, week: int) -> None:
        """Give pairs a new weekly hazard from ``week`` on (their threshold stays).

        Args:
            pairs: the pairs.
            hazard: weekly probability of moving, per pair.
            week: the week from which the hazard applies.
        """
        elapsed = week - self.since[pairs]
        # Only weeks that passed count; a surely-moving pair (rate inf) rescheduled in the
        # week it got that rate has spent nothing (inf * 0 would be NaN).
        spent = np.zeros(len(pairs))
        np.multiply(self.rate[pairs], elapsed, out=spent, where=elapsed > 0)
        self._schedule(pairs, self.remaining[pairs] - spent, hazard, week)

    def _schedule(self, pairs, remaining, hazard, week: int) -> None:
        """Store the clock state of pairs and queue them for the week they are due."""
        with np.errstate(divide="ignore"):
            rate = (-np.log1p(-np.minimum(hazard, 1.0))).astype(np.float32)  # as stored
            weeks = np.ceil(remaining / rate)
        # The pair moves in the first week whose accumulated hazard reaches E (at least 1).
        weeks[rate <= 0] = np.inf
        np.maximum(weeks, 1.0, out=weeks)
        due = np.full(len(pairs), NEVER, dtype=np.int32)
        soon = weeks < NEVER - week
        due[soon] = week - 1 + weeks[soon]
        self.remaining[pairs] = remaining
        self.rate[pairs] = rate
        self.since[pairs] = week
        self.due[pairs] = due
        self.enqueue(pairs[soon], due[soon])

    def enqueue(self, pairs: np.ndarray, due: np.ndarray) -> None:
        """File pairs under the week they are due (or the epoch, if that is not open yet)."""
        epoch = due // EPOCH
        near = epoch <= self.open_epoch
        far = ~near & (epoch < self.lump)
        file_under(self.queue, pairs[near].astype(np.int32), due[near])
        file_under(self.later, pairs[far].astype(np.int32), epoch[far])

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
                file_under(self.queue, pairs, self.due[pairs])
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


def file_under(queue: dict, pairs: np.ndarray, keys: np.ndarray) -> None:
    """Append pairs to ``queue[key]``, one slice per distinct key."""
    if len(pairs) == 0:
        return
    order = np.argsort(keys, kind="stable")
    pairs, keys = pairs[order], keys[order]
    bounds = np.r_[0, np.flatnonzero(np.diff(keys)) + 1, len(keys)]
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        queue[int(keys[a])].append(pairs[a:b])
