"""Validation figures for docs/validation.md (run by hand, not a test).

    /work/venv/bin/python benchmarks/validation_figures.py

(a) Bass rule on a complete graph: simulated mean curve vs the discrete Bass
    recursion vs the continuous Bass solution with the same per-step p, q.
(b) Same p, q on graphs of different structure: how clustering and community
    structure slow diffusion down.

Writes PNGs into docs/figures/ and prints the measured errors and times to 50%.
"""

from __future__ import annotations

import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display needed; must precede pyplot
import matplotlib.pyplot as plt
import networkx as nx
import numpy as np

from hidsim import rules
from hidsim.analysis import fit_bass
from hidsim.contagion import simulate, tie_weights

FIGURES = Path(__file__).resolve().parents[1] / "docs" / "figures"
P, Q = 0.01, 0.2  # per step: the curve is past 95% by step ~30 and flat by 60
STEPS = 60
REPLICATIONS = 30
SEED = 20240601


def replicate(graph, *, seed, steps=STEPS, **kwargs):
    """Array (replications, steps + 1) of adopted fractions, one seed per replication."""
    weights = tie_weights(graph)  # built once: the slow part on dense graphs
    seeds = np.random.SeedSequence(seed).spawn(REPLICATIONS)
    return np.array(
        [simulate(graph, p=P, q=Q, steps=steps, rng=s, weights=weights, **kwargs) for s in seeds]
    )


def time_to_half(curve):
    """First (linearly interpolated) step at which the curve reaches 0.5, or NaN."""
    above = np.flatnonzero(curve >= 0.5)
    if above.size == 0:
        return float("nan")
    k = above[0]
    if k == 0:
        return 0.0
    return k - 1 + (0.5 - curve[k - 1]) / (curve[k] - curve[k - 1])


def complete_graph_vs_bass(n=2000):
    """Figure (a): simulation vs discrete recursion vs continuous solution."""
    runs = replicate(nx.complete_graph(n), seed=SEED)
    steps = np.arange(STEPS + 1)
    mean = runs.mean(axis=0)
    discrete = rules.discrete_bass(P, Q, STEPS)
    fine = np.linspace(0, STEPS, 601)
    continuous = rules.continuous_bass(P, Q, steps)
    err_sim = np.abs(mean - discrete)
    err_cont = np.abs(discrete - continuous)
    fit = fit_bass(runs, t=steps, bootstrap=200, rng=SEED)

    print(
        f"(a) complete graph n={n}, p={P}, q={Q} per step, {STEPS} steps, "
        f"{REPLICATIONS} replications, seed {SEED}"
    )
    print(
        f"    max |mean simulated - discrete recursion| = {err_sim.max():.4f} "
        f"(at step {err_sim.argmax()})"
    )
    print(
        f"    max |discrete recursion - continuous F(t)| = {err_cont.max():.4f} "
        f"(at step {err_cont.argmax()})"
    )
    print(f"    max sd of one run = {runs.std(axis=0).max():.4f}")
    print(
        f"    continuous Bass fitted to the simulated runs (fit_bass): "
        f"p={fit.p:.4f} [{fit.p_ci[0]:.4f}, {fit.p_ci[1]:.4f}], "
        f"q={fit.q:.4f} [{fit.q_ci[0]:.4f}, {fit.q_ci[1]:.4f}], m={fit.m:.4f}, R2={fit.r2:.5f}"
    )
    # The gap between per-step and continuous coefficients is the cost of one big
    # step; the engines take 52 weekly steps a year (rules.weekly_rate).
    annual_p, annual_q, years = 0.03, 0.38, 20
    for substeps in (1, 52):
        recursion = rules.discrete_bass(annual_p / substeps, annual_q / substeps, years * substeps)
        exact = rules.continuous_bass(
            annual_p, annual_q, np.arange(years * substeps + 1) / substeps
        )
        print(
            f"    annual p={annual_p}, q={annual_q} over {years} years in {substeps} step(s) "
            f"a year: max |discrete - continuous| = {np.abs(recursion - exact).max():.4f}"
        )

    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(7, 7), sharex=True, gridspec_kw={"height_ratios": [3, 1.4]}
    )
    low, high = np.percentile(runs, [2.5, 97.5], axis=0)
    top.fill_between(steps, low, high, color="C0", alpha=0.2, label="simulation, 95% of runs")
    top.plot(steps, mean, "C0", lw=2, label=f"simulation, mean of {REPLICATIONS}")
    top.plot(steps, discrete, "k.", label="discrete Bass recursion")
    top.plot(fine, rules.continuous_bass(P, Q, fine), "C3--", label="continuous Bass F(t)")
    top.set(
        ylabel="adopted fraction",
        title=f"Bass rule on a complete graph (n={n}, p={P}, q={Q} per step)",
    )
    top.legend(loc="lower right")
    bottom.axhline(0, color="grey", lw=0.5)
    bottom.plot(steps, mean - discrete, "C0", label="mean simulated - discrete")
    bottom.plot(steps, discrete - continuous, "C3", label="discrete - continuous")
    bottom.set(xlabel="step", ylabel="difference")
    bottom.legend(loc="lower right", fontsize="small")
    fig.tight_layout()
    fig.savefig(FIGURES / "bass_complete_graph.png", dpi=120)
    plt.close(fig)


def network_structure(n=1000, degree=10):
    """Figure (b): mean curves for the same p, q on different networks."""
    half = n // 2
    # Two communities of mean degree ~10 with 1% of ties between them.
    p_in, p_out = 0.99 * degree / (half - 1), 0.01 * degree / half
    communities = nx.stochastic_block_model([half, half], [[p_in, p_out], [p_out, p_in]], seed=SEED)
    outreach_in_a = np.r_[np.ones(half), np.zeros(n - half)]
    cases = [
        ("complete graph", nx.complete_graph(n), {}),
        (f"random regular, degree {degree}", nx.random_regular_graph(degree, n, seed=SEED), {}),
        ("ring lattice k=10 (WS, rewiring 0.0)", nx.watts_strogatz_graph(n, degree, 0.0, SEED), {}),
        ("small world (WS, rewiring 0.1)", nx.watts_strogatz_graph(n, degree, 0.1, SEED), {}),
        ("random (WS, rewiring 1.0)", nx.watts_strogatz_graph(n, degree, 1.0, SEED), {}),
        ("two communities, 1% ties between", communities, {}),
        ("two communities, outreach in one only", communities, {"outreach": outreach_in_a}),
    ]
    print(
        f"(b) n={n}, p={P}, q={Q} per step, {STEPS} steps, {REPLICATIONS} replications, "
        f"seed {SEED}; time to 50% adoption of the mean curve:"
    )
    print(
        f"    {'discrete Bass recursion':40s} {time_to_half(rules.discrete_bass(P, Q, STEPS)):5.1f}"
    )
    fig, ax = plt.subplots(figsize=(8, 5))
    steps = np.arange(STEPS + 1)
    for i, (label, graph, kwargs) in enumerate(cases):
        mean = replicate(graph, seed=SEED + i, **kwargs).mean(axis=0)
        # A complete graph's clustering is 1 by definition; computing it takes ~45 s.
        clustering = 1.0 if nx.density(graph) == 1 else nx.average_clustering(graph)
        print(
            f"    {label:40s} {time_to_half(mean):5.1f}   (clustering {clustering:.2f}, "
            f"adopted at step {STEPS}: {mean[-1]:.3f})"
        )
        ax.plot(steps, mean, lw=2, ls="--" if "outreach" in label else "-", label=label)
    ax.plot(steps, rules.discrete_bass(P, Q, STEPS), "k:", label="discrete Bass recursion")
    ax.axhline(0.5, color="grey", lw=0.5)
    ax.set(
        xlabel="step",
        ylabel="adopted fraction (mean of runs)",
        title=f"Same p={P}, q={Q} per step, different networks (n={n})",
    )
    ax.legend(loc="lower right", fontsize="small")
    fig.tight_layout()
    fig.savefig(FIGURES / "bass_network_structure.png", dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    FIGURES.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    complete_graph_vs_bass()
    network_structure()
    print(f"figures in {FIGURES} ({time.perf_counter() - start:.0f} s)")
