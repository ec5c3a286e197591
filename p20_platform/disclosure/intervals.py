"""What an intruder can infer about unpublished cells from everything that is published.

Each unpublished cell is a non-negative unknown; every line of every table is an equation
(children sum to the total) and every shown rounded rate is a pair of inequalities
(numerator within the rounding interval times the denominator). Linear programming (HiGHS
through scipy) gives the range [low, high] each unknown can take; counts are whole, so the
range is narrowed to whole numbers.

Guarantee: for 2-D tables with margins, and tables linked through one shared margin, the
constraint matrix is a network matrix (totally unimodular), so these ranges are exactly
the ranges an intruder gets over whole numbers. With rate inequalities or three or more
dimensions they are the ranges of the real relaxation: an intruder using integrality could
in rare cases narrow a range further than found here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy  # its submodules load on first use, not when the code location loads

from p20_platform.disclosure.policy import DisclosurePolicy

_TOLERANCE = 1e-6
_CEILING = 1e8  # no count of people in a state report comes near this; reaching it means "unbounded"

Row = tuple[list[int], list[float], float, int]  # columns, coefficients, right-hand side, anchor variable


@dataclass(frozen=True)
class Inequality:
    """sum(coefficient * cell) <= bound over cell variable ids."""

    variables: tuple[int, ...]
    coefficients: tuple[float, ...]
    bound: float


@dataclass(frozen=True)
class Findings:
    """`disclosed`: unpublished variable -> why it is disclosed; `contradictions`: variables (a
    line's total, a rate's numerator) where the published numbers cannot all be true."""

    disclosed: dict[int, str]
    contradictions: tuple[int, ...]


def disclosed_cells(known: np.ndarray, lines: Iterable[tuple[int, tuple[int, ...]]],
                    inequalities: Iterable[Inequality], policy: DisclosurePolicy) -> Findings:
    """Unpublished cells (NaN in `known`) that an intruder can pin down or show to be small.

    Every feasible table bounds each range from inside, so two linear programs per linked
    group (smallest and largest grand sum) prove most cells safe at once; only the cells
    not yet proven safe get their own minimum and maximum.
    """
    unknown = np.flatnonzero(np.isnan(known))
    column = np.full(len(known), -1)
    column[unknown] = np.arange(len(unknown))
    equations = [_reduce(known, column, (*children, total), (1.0,) * len(children) + (-1.0,), 0.0, total)
                 for total, children in lines]
    bounds = [_reduce(known, column, q.variables, q.coefficients, q.bound, q.variables[0]) for q in inequalities]
    contradictions = [anchor for cols, _, rhs, anchor in equations if not cols and abs(rhs) > _TOLERANCE]
    contradictions += [anchor for cols, _, rhs, anchor in bounds if not cols and rhs < -_TOLERANCE]
    equations = [e for e in equations if e[0]]
    bounds = [b for b in bounds if b[0]]
    ceiling = max(_CEILING, 10 * float(np.nansum(known)))

    a_eq, a_ub = _matrix(equations, len(unknown)), _matrix(bounds, len(unknown))
    b_eq, b_ub = np.array([e[2] for e in equations]), np.array([b[2] for b in bounds])
    disclosed = {}
    for columns, eq_rows, ub_rows in _components(a_eq, a_ub):
        if not len(eq_rows) and not len(ub_rows):
            continue  # unconstrained: anything from 0 up
        problem = {"A_eq": a_eq[eq_rows][:, columns], "b_eq": b_eq[eq_rows],
                   "A_ub": a_ub[ub_rows][:, columns], "b_ub": b_ub[ub_rows]}
        problem = {name: part for name, part in problem.items() if part.shape[0]}
        seeds = [_extreme(objective, problem, ceiling) for objective in _seed_objectives(len(columns))]
        if seeds[0] is None:  # infeasible: the published numbers contradict each other
            contradictions.extend(unknown[columns].tolist())
            continue
        lowest_seen, highest_seen = np.min(seeds, axis=0), np.max(seeds, axis=0)
        for position, variable in enumerate(unknown[columns]):
            objective = np.zeros(len(columns))
            for sign in (-1.0, 1.0):  # maximise, then minimise, unless already proven safe
                if _safe(lowest_seen[position], highest_seen[position], policy):
                    break
                objective[position] = sign
                point = _extreme(objective, problem, ceiling)
                lowest_seen, highest_seen = np.minimum(lowest_seen, point), np.maximum(highest_seen, point)
            else:
                reason = exposure(*_whole(lowest_seen[position], highest_seen[position]), policy)
                if reason is not None:
                    disclosed[int(variable)] = reason
    return Findings(disclosed, tuple(dict.fromkeys(contradictions)))


def _seed_objectives(width: int) -> list[np.ndarray]:
    """Smallest and largest grand sum, and two fixed pseudo-random directions for varied tables."""
    directions = np.random.default_rng(0).normal(size=(2, width))
    return [np.ones(width), -np.ones(width), *directions]


def _safe(lowest_seen: float, highest_seen: float, policy: DisclosurePolicy) -> bool:
    """Feasible tables with different whole values, one above the small range, prove a cell safe."""
    low, high = _whole(lowest_seen, highest_seen)
    return low < high and high > policy.max_small_count


def exposure(low: int, high: int, policy: DisclosurePolicy) -> str | None:
    """Why an unpublished cell with whole-number range [low, high] is disclosed, or None.

    Disclosed means pinned to one value, or shown to lie within 0..max_small_count, which
    reveals a small count just as printing it would.
    """
    if low == high:
        return f"recoverable exactly (= {low})"
    if high <= policy.max_small_count:
        return f"shown to be a small count (between {low} and {high})"
    return None


def _extreme(objective: np.ndarray, problem: dict, ceiling: float) -> np.ndarray | None:
    """A feasible table minimising `objective`, or None when no table fits the constraints."""
    result = scipy.optimize.linprog(objective, bounds=(0, ceiling), method="highs", **problem)
    if result.status == 2:
        return None
    if result.status != 0:
        raise RuntimeError(f"disclosure linear program failed: {result.message}")
    return result.x


def _whole(low: float, high: float) -> tuple[int, int]:
    return math.ceil(low - _TOLERANCE), math.floor(high + _TOLERANCE)


def _reduce(known: np.ndarray, column: np.ndarray, variables: tuple[int, ...], coefficients: tuple[float, ...],
            bound: float, anchor: int) -> Row:
    """Move the known cells of a constraint to its right-hand side."""
    columns, kept, rhs = [], [], bound
    for variable, coefficient in zip(variables, coefficients):
        if column[variable] < 0:
            rhs -= coefficient * known[variable]
        else:
            columns.append(int(column[variable]))
            kept.append(coefficient)
    return columns, kept, rhs, anchor


def _matrix(rows: list[Row], width: int) -> scipy.sparse.csr_array:
    row_ids = [r for r, (cols, _, _, _) in enumerate(rows) for _ in cols]
    col_ids = [c for cols, _, _, _ in rows for c in cols]
    values = [v for _, coefs, _, _ in rows for v in coefs]
    return scipy.sparse.coo_array((values, (row_ids, col_ids)), shape=(len(rows), width)).tocsr()


def _components(a_eq: scipy.sparse.csr_array, a_ub: scipy.sparse.csr_array) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Independent sub-problems: unknowns linked through shared constraints, with their constraints."""
    width, n_eq = a_eq.shape[1], a_eq.shape[0]
    incidence = scipy.sparse.coo_array(abs(scipy.sparse.vstack([a_eq, a_ub], format="csr")))
    size = width + incidence.shape[0]
    graph = scipy.sparse.coo_array((np.ones(incidence.nnz), (incidence.row + width, incidence.col)), shape=(size, size))
    _, labels = scipy.sparse.csgraph.connected_components(graph, directed=False)
    components = []
    for nodes in pd.Series(np.arange(size)).groupby(labels).indices.values():
        columns = nodes[nodes < width]
        if len(columns):
            rows = nodes[nodes >= width] - width
            components.append((columns, rows[rows < n_eq], rows[rows >= n_eq] - n_eq))
    return components
