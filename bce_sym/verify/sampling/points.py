"""Inputs that find the worst case: every binade with both signs, then the danger zones of ``zones.py``.

``sample_points`` returns a ``Sample``: one array per argument (values exactly representable in the dtype
under test), and for every point the zone it came from. The draw is vectorised and deterministic for a
seed; the first argument's column depends only on (first-argument kind, dtype, points, seed), so the
quantities of a logit share one column (and one mpmath pass, see ``reference.exact_values``).

>>> sample = sample_points("bce_with_logits", dtype="float32", points=1000, seed=0)
>>> len(sample.columns), sample.columns[0].dtype.name, len(sample.columns[0])
(2, 'float32', 1000)
>>> "branch-switch" in sample.zone_names
True
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from bce_sym.formats import FloatFormat, float_format
from bce_sym.labels import Labels, drawn_labels
from bce_sym.quantities import Argument
from bce_sym.quantities import quantity as quantity_row
from bce_sym.verify.metrics import float_dtype
from bce_sym.verify.sampling.zones import LOGIT_ZONES, PROBABILITY_ZONES, SOFT_LABEL_ZONES, Zone


@dataclass(frozen=True)
class Sample:
    """Points to evaluate: ``columns`` (one array per argument, in the dtype), and each point's zone."""

    quantity: str
    dtype: str
    labels: str
    seed: int
    arguments: tuple[str, ...]
    columns: tuple[np.ndarray, ...]
    zone: np.ndarray
    zone_names: tuple[str, ...]

    @property
    def points(self) -> int:
        """How many points."""
        return int(self.columns[0].size)


def effective_labels(quantity_name: str, labels: str) -> str:
    """The label kind actually used: ``labels`` for y-labelled quantities, ``"pm"`` or ``"none"`` otherwise.

    ``ValueError`` when ``labels`` is not ``"binary"`` or ``"soft"``.

    >>> effective_labels("logistic_loss", "soft"), effective_labels("bce", "soft")
    ('pm', 'soft')
    """
    return drawn_labels(quantity_row(quantity_name).labels, labels).value


def _rng(seed: int, *parts: str) -> np.random.Generator:
    # NOTE: crc32, not hash(): Python salts str hashes per process, and the draw must repeat across runs.
    return np.random.default_rng([seed, *(zlib.crc32(part.encode()) for part in parts)])


def _to_dtype(values: np.ndarray, dtype: np.dtype, top: float) -> np.ndarray:
    """Round to the dtype (keeping infinities that were asked for), as float64 values of that dtype."""
    with np.errstate(over="ignore", invalid="ignore"):
        finite = np.isfinite(values)
        clipped = np.where(finite, np.clip(values, -top, top), values)
        return clipped.astype(dtype).astype(np.float64)


def _log_uniform(rng: np.random.Generator, lo: float, hi: float, count: int) -> np.ndarray:
    lo = max(lo, 5e-324)
    with np.errstate(over="ignore"):
        values = np.exp(rng.uniform(np.log(lo), np.log(hi), count))
    return np.clip(values, lo, hi)


_Sampler = Callable[[np.random.Generator, tuple[float, float], int], np.ndarray]

_SHAPES: dict[str, _Sampler] = {
    "uniform": lambda rng, bounds, count: rng.uniform(bounds[0], bounds[1], count),
    "log-uniform": lambda rng, bounds, count: _log_uniform(rng, bounds[0], bounds[1], count),
    "one-minus-log-uniform": lambda rng, bounds, count: 1.0 - _log_uniform(rng, bounds[0], bounds[1], count),
}
"""Samplers of magnitudes by ``Zone.shape`` (the shapes with a rule of their own are handled apart)."""


def _specials(argument: str, f: FloatFormat) -> np.ndarray:
    """The edge values, each twice: binary and ±1 labels then give every edge both labels."""
    if argument == Argument.LOGIT:
        base = [0.0, f.smallest, f.tiny, 1.0, f.max, np.inf]
        base += [-x for x in base]
    else:
        base = [0.0, 1.0, 0.5, f.smallest, f.tiny, 1.0 - f.eps / 2]
    return np.repeat(np.array(base), 2)


def _binades(argument: str, f: FloatFormat) -> list[tuple[float, int]]:
    """(sign or 1 − p marker, exponent) of every binade to visit."""
    if argument == Argument.LOGIT:
        exponents = range(f.min_spacing_exponent, f.max_exponent + 1)
        return [(sign, e) for e in exponents for sign in (1.0, -1.0)]
    # p in [2^e, 2^(e+1)) up to 1/2, then 1 − p in [2^e, 2^(e+1)) down to ε/2: 0 marks "1 − p".
    low = [(1.0, e) for e in range(f.min_spacing_exponent, 0)]
    high = [(0.0, e) for e in range(int(np.log2(f.eps / 2)), -1)]
    return low + high


def _draw_binades(rng: np.random.Generator, picks: list[tuple[float, int]], dtype: np.dtype) -> np.ndarray:
    """One value of ``dtype`` per picked binade, rounded so that it stays inside its binade."""
    if not picks:
        return np.zeros(0)
    marks = np.array([p[0] for p in picks])
    exponents = np.array([p[1] for p in picks])
    magnitudes = np.ldexp(rng.uniform(1.0, 2.0, len(picks)), exponents)
    # NOTE: rounding to a coarse dtype (subnormal float16) can carry a value up into the next binade.
    rounded = magnitudes.astype(dtype).astype(np.float64)
    with np.errstate(over="ignore"):
        magnitudes = np.where(rounded >= np.ldexp(1.0, exponents + 1), np.ldexp(1.0, exponents), rounded)
    return np.where(marks == 0.0, 1.0 - magnitudes, marks * magnitudes)


def _allocate(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` by ``weights`` (largest remainders), deterministically."""
    if total <= 0 or sum(weights) == 0:
        return [0] * len(weights)
    shares = np.array(weights) / sum(weights) * total
    counts = np.floor(shares).astype(int)
    for index in np.argsort(-(shares - counts), kind="stable")[: total - counts.sum()]:
        counts[index] += 1
    return counts.tolist()


@lru_cache(maxsize=32)
def first_column(argument: str, dtype: str, points: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(values, zone index into the argument's zone table) for the first argument, cached.

    >>> values, zone = first_column("probability", "float64", 100, 0)
    >>> bool(values.min() >= 0.0 and values.max() <= 1.0)
    True
    """
    table: tuple[Zone, ...] = LOGIT_ZONES if argument == Argument.LOGIT else PROBABILITY_ZONES
    f = float_format(dtype)
    np_dtype = float_dtype(dtype)
    rng = _rng(seed, "first", argument, dtype)
    specials = _specials(argument, f)[:points]
    rest = points - specials.size
    candidates = _binades(argument, f)
    binade_zone = next(i for i, zone in enumerate(table) if zone.shape == "binades")
    wanted = int(round(table[binade_zone].weight * rest))
    count_binades = min(len(candidates), wanted)
    if count_binades < len(candidates):
        keep = np.unique(np.linspace(0, len(candidates) - 1, count_binades).round().astype(int))
        candidates = [candidates[i] for i in keep]
        count_binades = len(candidates)
    others = [i for i, zone in enumerate(table) if zone.shape in _SHAPES]
    counts = _allocate(rest - count_binades, [table[i].weight for i in others])
    values = [specials, _draw_binades(rng, candidates, np_dtype)]
    zones = [np.full(specials.size, 0), np.full(count_binades, binade_zone)]
    for index, count in zip(others, counts, strict=True):
        zone = table[index]
        drawn = _SHAPES[zone.shape](rng, zone.bounds(f), count)
        if argument == Argument.LOGIT and zone.both_signs:
            drawn = drawn * rng.choice(np.array([-1.0, 1.0]), count)
        values.append(drawn)
        zones.append(np.full(count, index))
    column = _to_dtype(np.concatenate(values), np_dtype, f.max)
    if argument == Argument.PROBABILITY:
        column = np.clip(column, 0.0, 1.0)
    zone_index = np.concatenate(zones).astype(np.intp)
    column.setflags(write=False)
    zone_index.setflags(write=False)
    return column, zone_index


def _stable_sigmoid(s: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        e = np.exp(-np.abs(s))
        return np.where(s >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _soft_labels(
    rng: np.random.Generator, first: np.ndarray, argument: str, f: FloatFormat, np_dtype: np.dtype
) -> tuple[np.ndarray, np.ndarray]:
    """(labels, label-zone index per point; 0 means binary)."""
    n = first.size
    counts = _allocate(n, [zone.weight for zone in SOFT_LABEL_ZONES])
    which = rng.permutation(np.repeat(np.arange(len(SOFT_LABEL_ZONES)), counts))
    labels = np.empty(n)
    for index, zone in enumerate(SOFT_LABEL_ZONES):
        members = np.flatnonzero(which == index)
        if zone.shape == "binary":
            labels[members] = rng.integers(0, 2, members.size)
        elif zone.shape == "near-prediction":
            prediction = _stable_sigmoid(first[members]) if argument == Argument.LOGIT else first[members]
            base = prediction.astype(np_dtype)
            # NOTE: a few ULPs either side of the prediction, where σ(s) − y (or p − y) cancels.
            steps = rng.integers(-3, 4, members.size).astype(np_dtype)
            with np.errstate(over="ignore", invalid="ignore"):
                shifted = base + steps * np.spacing(base)
            labels[members] = np.clip(shifted.astype(np.float64), 0.0, 1.0)
        else:
            labels[members] = _SHAPES[zone.shape](rng, zone.bounds(f), members.size)
    labels = np.clip(_to_dtype(labels, np_dtype, f.max), 0.0, 1.0)
    return labels, which


def check_sampling(points: int, seed: int) -> None:
    """``ValueError`` unless ``points`` is a whole number >= 1 and ``seed`` one >= 0 (what ``sample_points`` takes)."""
    if isinstance(points, bool) or not isinstance(points, (int, np.integer)) or points <= 0:
        raise ValueError(f"points must be a positive whole number, got {points!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0, got {seed!r}")


@lru_cache(maxsize=64)
def sample_points(
    quantity: str, *, dtype: str = "float64", points: int = 10_000, labels: str = "binary", seed: int = 0
) -> Sample:
    """The points at which ``quantity`` is checked: binades, danger zones and labels, deterministic per seed.

    Args:
        quantity: a quantity name (``"bce"``...).
        dtype: ``"float16"``, ``"bfloat16"``, ``"float32"`` or ``"float64"``.
        points: how many points (at least 1).
        labels: ``"binary"`` or ``"soft"`` (ignored for ±1 and label-free quantities).
        seed: the random seed.

    >>> sample_points("sigmoid", points=10).points
    10
    """
    row = quantity_row(quantity)
    np_dtype = float_dtype(dtype)
    kind = effective_labels(quantity, labels)
    check_sampling(points, seed)
    f = float_format(np_dtype.name)
    first, first_zone = first_column(row.first, np_dtype.name, int(points), int(seed))
    names = [zone.name for zone in (LOGIT_ZONES if row.first is Argument.LOGIT else PROBABILITY_ZONES)]
    zone = np.array(first_zone)
    columns = [first]
    rng = _rng(int(seed), "labels", kind, row.first, np_dtype.name)
    # NOTE: the specials come first, each twice (see _specials): alternate labels give each both.
    specials = np.flatnonzero(zone == 0)
    if kind == Labels.BINARY:
        binary = rng.integers(0, 2, first.size).astype(np.float64)
        binary[specials] = np.arange(specials.size) % 2
        columns.append(binary)
    elif kind == Labels.PM:
        signs = rng.choice(np.array([-1.0, 1.0]), first.size)
        signs[specials] = np.where(np.arange(specials.size) % 2 == 0, -1.0, 1.0)
        columns.append(signs)
    elif kind == Labels.SOFT:
        labels_column, label_zone = _soft_labels(rng, first, row.first, f, np_dtype)
        columns.append(labels_column)
        # NOTE: binary-labelled points keep their first-argument zone; the others are named by label zone.
        offset = len(names)
        names += [z.name.replace("prediction", "σ(s)" if row.first is Argument.LOGIT else "p")
                  for z in SOFT_LABEL_ZONES[1:]]
        zone = np.where(label_zone == 0, zone, offset + label_zone - 1)
    typed = []
    for column in columns:
        array = column.astype(np_dtype)
        array.setflags(write=False)
        typed.append(array)
    zone.setflags(write=False)
    return Sample(
        quantity=row.name,
        dtype=np_dtype.name,
        labels=kind,
        seed=int(seed),
        arguments=row.arguments,
        columns=tuple(typed),
        zone=zone,
        zone_names=tuple(names),
    )
