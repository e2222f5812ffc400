"""The weekly bookkeeping of the vectorized engine, in NumPy and (optionally) compiled.

Each function exists twice with one signature: a NumPy version and a loop compiled
by numba, which does the same arithmetic in the same order, so both give the same
bits (``tests/test_engine_speed_paths.py``). Only bookkeeping is here: integer
counts, sums in input order, divisions and comparisons. The logarithms, the
footprints (a matrix product and an exponential) and the transition probabilities
stay in NumPy on both paths, so the two paths never differ by a library's last bit.

numba is an optional extra (``pip install hidsim[fast]``). A single run uses the NumPy
versions unless ``HIDSIM_KERNELS=numba`` is in the environment: numba's one-off cost
(compiling, about 25 s the first time, then 0.5-2 s a process to load its cache) outweighs
what it saves on one run. A sweep sets ``HIDSIM_KERNELS=numba`` for its workers when numba
is installed (:func:`hidsim.experiments.runner.sweep`), where the cost is paid once per
worker for many runs.
"""

from __future__ import annotations

import importlib.util
import os
from types import SimpleNamespace

import numpy as np

from hidsim.state import ADOPTER, AWARE

NEVER = np.iinfo(np.int32).max
EPOCH = 32  # weeks per coarse bucket of the clocks' queue



def numba_installed() -> bool:
    """Whether numba can be imported (without importing it: that alone takes a second)."""
    return importlib.util.find_spec("numba") is not None


# -- NumPy -----------------------------------------------------------------------------------------
def apply_moves(status, pairs, new, n, n_s, districts, groups, home, income, hours_saved,
                adopters, aware, by_income, hours):
    """Set new statuses and update the flat tallies; return the pairs whose use changed.

    Args:
        status: every pair's status, flat, int8 (updated).
        pairs: the pairs that move, int64.
        new: their new statuses.
        n: residents.
        n_s: services.
        districts: districts.
        groups: income groups.
        home: each resident's district.
        income: each resident's income group.
        hours_saved: hours saved per adopter per week, per service.
        adopters: flat (branch, service, district) adopter counts (updated).
        aware: flat (branch, service, district) counts of the aware (updated).
        by_income: flat (branch, service, income group) counts (updated).
        hours: flat (branch, district) hours saved (updated).

    Returns:
        ``(row, i, gain)`` of the pairs that started (+1) or stopped (-1) using a service,
        in the order given.
    """
    old = status[pairs]
    status[pairs] = new
    row, i = np.divmod(pairs, n)
    h = home[i]
    gain = (new == ADOPTER).astype(np.int64) - (old == ADOPTER)
    _add(adopters, row * districts + h, gain)
    _add(aware, row * districts + h, (new == AWARE).astype(np.int64) - (old == AWARE))
    _add(by_income, row * groups + income[i], gain)
    moved = gain != 0
    if not moved.any():
        return row[:0], i[:0], gain[:0]
    row, i, gain = row[moved], i[moved], gain[moved]
    _add(hours, row // n_s * districts + home[i], gain * hours_saved[row % n_s])
    return row, i, gain


def count_ties(indptr, indices, slot, n, row, i, gain, adopting_ties):
    """Add the gains of residents to their ties' counts of adopting ties.

    Args:
        indptr: the ties' CSR row pointers.
        indices: the ties' CSR column indices.
        slot: the clock row of each pair row.
        n: residents.
        row: the movers' pair rows.
        i: the movers (residents).
        gain: +1 for a mover who started, -1 for one who stopped.
        adopting_ties: adopting ties per clock (updated).

    Returns:
        The clocks of the movers' ties, each once, in the order of their last mention.
    """
    counts = indptr[i + 1] - indptr[i]
    starts = np.repeat(indptr[i] - np.cumsum(counts) + counts, counts)
    touched = np.repeat(slot[row], counts) * n + indices[starts + np.arange(counts.sum())]
    if len(touched) == 0:
        return touched
    order = np.argsort(touched, kind="stable")
    ordered = touched[order]
    ends = np.empty(len(ordered), dtype=bool)
    ends[-1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=ends[:-1])
    group = np.cumsum(ends) - ends  # run number of each sorted position
    sums = np.bincount(group, weights=np.repeat(gain, counts)[order])
    adopting_ties[ordered[ends]] += sums.astype(adopting_ties.dtype)
    # In a stable sort the last of a run is the value's last mention.
    return touched[np.sort(order[ends])]


def add_emissions(emissions, delta, homes):
    """``emissions[domain, home] += delta[resident, domain]``, summed in resident order.

    Args:
        emissions: (domains, districts) totals of one branch (updated).
        delta: change of footprint per resident and domain.
        homes: each resident's district.
    """
    districts = emissions.shape[1]
    index = np.arange(delta.shape[1]) * districts + homes[:, None]
    flat = np.bincount(index.ravel(), weights=delta.ravel(), minlength=emissions.size)
    emissions += flat.reshape(emissions.shape)


def schedule(clocks, remaining, remaining_bits, rate, week, open_epoch, lump, store_remaining,
             store_rate, store_since, store_due):
    """Store clocks' state and split them by where they are filed.

    A clock rings in the first week whose accumulated hazard reaches its threshold
    (at least one week on); clocks that never ring (rate 0) are not filed. The stored
    ``remaining`` are ``remaining_bits`` (the float64 bits XOR those of NaN) and the
    stored due weeks are XOR ``NEVER`` (:class:`hidsim.engines.clocks.Clocks`).

    Returns:
        ``(near, due, far, epoch)``: clocks due in an open epoch and their weeks,
        clocks due in a later epoch (before ``lump``) and their epochs.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        weeks = np.ceil(remaining / rate)
    weeks[rate <= 0] = np.inf
    np.maximum(weeks, 1.0, out=weeks)
    due = np.full(len(clocks), NEVER, dtype=np.int32)
    soon = weeks < NEVER - week
    due[soon] = week - 1 + weeks[soon]
    store_remaining[clocks] = remaining_bits
    store_rate[clocks] = rate
    store_since[clocks] = week
    store_due[clocks] = due ^ NEVER
    clocks, due = clocks[soon].astype(np.int32), due[soon]
    epoch = due // EPOCH
    near = epoch <= open_epoch
    far = ~near & (epoch < lump)
    return clocks[near], due[near], clocks[far], epoch[far]


def _add(flat: np.ndarray, index: np.ndarray, values: np.ndarray) -> None:
    """``flat[index] += values``, summing repeats in input order."""
    flat += np.bincount(index, weights=values, minlength=flat.size).astype(flat.dtype)


NUMPY = SimpleNamespace(name="numpy", apply_moves=apply_moves, count_ties=count_ties,
                        add_emissions=add_emissions, schedule=schedule)


# -- numba -----------------------------------------------------------------------------------------
def _compiled() -> SimpleNamespace:
    """The compiled twins (numba, cached on disk after the first compilation)."""
    import numba  # only here: the compiled path is optional and slow to import

    jit = numba.njit(cache=True, nogil=True)

    @jit
    def apply_moves_c(status, pairs, new, n, n_s, districts, groups, home, income, hours_saved,
                      adopters, aware, by_income, hours):
        k = len(pairs)
        row_out = np.empty(k, dtype=np.int64)
        i_out = np.empty(k, dtype=np.int64)
        gain_out = np.empty(k, dtype=np.int64)
        # bincount sums each bin from 0.0 in input order, then adds it to the table
        added = np.zeros(len(hours))
        moved = 0
        for j in range(k):
            p = pairs[j]
            old = status[p]
            nw = new[j]
            status[p] = nw
            row, i = p // n, p % n
            h = home[i]
            gain = (1 if nw == ADOPTER else 0) - (1 if old == ADOPTER else 0)
            adopters[row * districts + h] += gain
            aware[row * districts + h] += (1 if nw == AWARE else 0) - (1 if old == AWARE else 0)
            by_income[row * groups + income[i]] += gain
            if gain != 0:
                row_out[moved], i_out[moved], gain_out[moved] = row, i, gain
                moved += 1
        for j in range(moved):
            row, i = row_out[j], i_out[j]
            added[row // n_s * districts + home[i]] += gain_out[j] * hours_saved[row % n_s]
        if moved:
            for b in range(len(hours)):
                hours[b] += added[b]
        return row_out[:moved], i_out[:moved], gain_out[:moved]

    @jit
    def count_ties_c(indptr, indices, slot, n, row, i, gain, adopting_ties):
        total = 0
        for j in range(len(i)):
            total += indptr[i[j] + 1] - indptr[i[j]]
        touched = np.empty(total, dtype=np.int64)
        gains = np.empty(total, dtype=np.int64)
        t = 0
        for j in range(len(i)):
            base = slot[row[j]] * n
            for e in range(indptr[i[j]], indptr[i[j] + 1]):
                touched[t] = base + indices[e]
                gains[t] = gain[j]
                t += 1
        if total == 0:
            return touched
        order = np.argsort(touched, kind="mergesort")
        last = np.empty(total, dtype=np.int64)
        runs = 0
        acc = 0
        for t in range(total):
            acc += gains[order[t]]
            if t == total - 1 or touched[order[t + 1]] != touched[order[t]]:
                c = touched[order[t]]
                adopting_ties[c] += acc
                last[runs] = order[t]
                runs += 1
                acc = 0
        last = np.sort(last[:runs])
        return touched[last]

    @jit
    def add_emissions_c(emissions, delta, homes):
        domains, districts = emissions.shape
        added = np.zeros((domains, districts))
        for r in range(delta.shape[0]):
            h = homes[r]
            for d in range(delta.shape[1]):
                added[d, h] += delta[r, d]
        for d in range(domains):
            for h in range(districts):
                emissions[d, h] += added[d, h]

    @jit
    def schedule_c(clocks, remaining, remaining_bits, rate, week, open_epoch, lump,
                   store_remaining, store_rate, store_since, store_due):
        k = len(clocks)
        near = np.empty(k, dtype=np.int32)
        near_due = np.empty(k, dtype=np.int32)
        far = np.empty(k, dtype=np.int32)
        far_epoch = np.empty(k, dtype=np.int32)
        a = b = 0
        for j in range(k):
            c = clocks[j]
            r = np.float64(rate[j])
            weeks = np.inf if r <= 0 else np.ceil(remaining[j] / r)
            if not weeks >= 1.0 and weeks == weeks:  # np.maximum(weeks, 1), NaN kept
                weeks = 1.0
            due = NEVER
            if weeks < NEVER - week:
                due = np.int32(week - 1 + weeks)
            store_remaining[c] = remaining_bits[j]
            store_rate[c] = rate[j]
            store_since[c] = week
            store_due[c] = due ^ NEVER
            if due != NEVER:
                epoch = due // EPOCH
                if epoch <= open_epoch:
                    near[a], near_due[a] = c, due
                    a += 1
                elif epoch < lump:
                    far[b], far_epoch[b] = c, epoch
                    b += 1
        return near[:a], near_due[:a], far[:b], far_epoch[:b]

    return SimpleNamespace(name="numba", apply_moves=apply_moves_c, count_ties=count_ties_c,
                           add_emissions=add_emissions_c, schedule=schedule_c)


_COMPILED: SimpleNamespace | None = None


def kernels(path: str | None = None) -> SimpleNamespace:
    """The kernels to use: ``"numpy"`` (the default) or ``"numba"``.

    Args:
        path: ``"numpy"`` or ``"numba"``; default ``HIDSIM_KERNELS`` from the environment,
            else ``"numpy"``.

    Raises:
        ValueError: for another name.
        ImportError: if ``"numba"`` is asked for and numba is not installed.
    """
    global _COMPILED
    path = path or os.environ.get("HIDSIM_KERNELS") or "numpy"
    if path == "numpy":
        return NUMPY
    if path != "numba":
        raise ValueError(f"HIDSIM_KERNELS={path!r}: use 'numpy' or 'numba'")
    if not numba_installed():
        raise ImportError("HIDSIM_KERNELS=numba needs numba: pip install 'hidsim[fast]'")
    if _COMPILED is None:
        _COMPILED = _compiled()
    return _COMPILED
