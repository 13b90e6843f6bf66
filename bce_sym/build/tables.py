"""The tables of the C primitives, computed in mpmath at 256 bits, printed as C (build time).

Internal to ``bce_sym.build``. The primitives themselves are hand-written C in
``bce_sym/numeric/csrc/primitives.h``; this module computes their tables (:func:`exp_table`,
:func:`log_table`) and prints them as ``csrc/tables.gen.h`` (:func:`tables_source`). The algorithms:

- **exp** (the scheme of glibc's exp): x = (k + j/128)·ln 2 + r with |r| ≤ ln 2/256, so
  e^x = 2^k · 2^(j/128) · e^r. 2^(j/128) is a table entry (its float64 bits and its relative tail), e^r a
  degree-5 Taylor polynomial (truncation below 0.006 ULP), and 2^k is added to the entry's exponent
  bits. x·128/ln 2 is rounded with the 1.5·2^52 trick, and ln 2/128 is split so that k·ln2hi is exact.
- **log1p**: h = 1 + e and its rounding error l = e − (h − 1) (exact: Fast2Sum, since e ≤ 1). With
  h = 2^k·m and j the top 7 bits of m's fraction, log h = k·ln 2 − log(invc_j) + log1p(r), where
  invc_j ≈ 1/c_j at the centre c_j of the j-th interval and r = m·invc_j − 1 (|r| ≤ 2^-8) is kept as
  two floats through an FMA. log1p(r) is a degree-10 Taylor polynomial, −log(invc_j) a table entry in
  two floats, and log1p(e) = log h + l/h. Below h = 1 + 2^-7, where h has lost e's low bits, the same
  polynomial runs on e itself.
- **log** of a probability 0 < y ≤ 1, and log1p(a) for −1 < a < 0 as log(1 + a) + l/(1 + a) (the
  probability loss's log p and log1p(−p)): the same scheme over every binade below 1, with the
  intervals from j = 64 on taken as halves (centre c_j/2 ∈ [0.75, 1], one binade up) so that no result
  near 1 subtracts log 2, k·ln 2 as two floats through an FMA, and the polynomial on y − 1 (exact) in
  [1 − 2^-8, 1].
- **log1p(e^z)** for −700 ≤ z ≤ 0 (every logit loss's softplus, :func:`softplus_table`) in one table lookup, no
  exp and no log: u = −z = j·δ + r with δ = ln 2/32 and |r| ≤ δ/2, and log1p(e^(−u)) is the Taylor series about
  u_j = j·δ, whose every coefficient is a polynomial in p_j = σ(−u_j) (f' = −p, p' = −p(1 − p)): the table holds
  f(u_j) and p_j, each in two floats (p_j's low part enters through p_j·r only). Rows stop at u_j = 64·ln 2 (row
  2048) plus one period: beyond, f(u_j + 32k·δ) = f(u_j)·2^-k to within e^(−u_j)/2 relative (2^-65 at row 2048;
  p to within 2^-64), so row j − 32k scaled by 2^-k serves index j: 2,080 rows are computed and printed, and the
  module expands them when it loads (``csrc/softplus_rows.c``) to the 32,768 rows (a power of two) that reach u
  = 700.

Arguments outside the fast ranges (for log1p(e^z) z < −700 and z > 0; x < −708, where e^x is subnormal or 0, x >
709; for log1p −0, e ≤ −1, e > 1; for log y = 0, subnormal or above 1; NaN, ±inf) go to the libm function, so
every function is right for every float64. Measured against mpmath (``tests/test_compiled.py``): at most 0.505
ULP for exp, 0.501 ULP for log1p on [0, 1] and 0.5005 ULP for log and for log1p on (−1, 0) on the fast path.

>>> tables = exp_table()
>>> len(tables.hi_bits), tables.tails[0]
(128, 0.0)
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import mpmath

#: 2^TABLE_BITS entries per table: 2^(j/128) for exp, 1/c_j and log c_j for log1p.
TABLE_BITS = 7
_N = 2**TABLE_BITS
# NOTE: ln2hi/N keeps 33 significant bits, so k·ln2hi/N is exact for every |k| < 2^20 (|x| ≤ 709 needs
# |k| ≤ 131,000): the reduction x − k·ln2/N then loses nothing but the tiny ln2lo/N term's rounding.
_LN2_HI_BITS = 33
_PRECISION = 256


def _bits(value: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", value))[0]


def _split(value: mpmath.mpf) -> tuple[float, float]:
    """value as hi + lo, two floats (hi the nearest float, lo the nearest float to the rest)."""
    hi = float(value)
    return hi, float(value - hi)


@dataclass(frozen=True)
class ExpTable:
    """2^(j/128) = asdouble(hi_bits[j] + (j << 45)) · (1 + tails[j]) for j = 0 … 127.

    ``hi_bits`` have j << 45 taken out so that adding k << 45 (k = 128·k' + j, the rounded x·128/ln 2)
    leaves 2^(j/128)'s bits with k' added to the exponent field.
    """

    hi_bits: tuple[int, ...]
    tails: tuple[float, ...]
    inv_ln2_n: float
    ln2_hi_n: float
    ln2_lo_n: float
    #: 2^(j/128)/hi − 1 − tails[j] (about 2^-106), for the triple-float exp of csrc/exp_triple.h; and the third
    #: part of ln 2/128, ln 2/128 − ln2_hi_n − ln2_lo_n (as csrc/exp_pair.h's NEG_LN2_TAIL_N, with the sign flipped).
    tails2: tuple[float, ...] = ()
    ln2_tail_n: float = 0.0


@dataclass(frozen=True)
class LogTable:
    """invc[j] ≈ 1/c_j (c_j the centre of [1 + j/128, 1 + (j+1)/128); c_0 = 1), −log(invc[j]) as hi + lo,
    and log c_j itself (for the float32 grade, which uses c_j, not invc[j]).

    The ``wide_`` entries serve log over all of (0, 1]: from j = 64 on, each interval is taken as its
    half (centre c_j/2 in [0.75, 1], one binade up), so that no result near 1 subtracts log 2, and the
    last one's centre is 2 (half: exactly 1), so that just below 1, r = m/2 − 1 = y − 1 exactly."""

    invc: tuple[float, ...]
    logc_hi: tuple[float, ...]
    logc_lo: tuple[float, ...]
    log_centre: tuple[float, ...]
    wide_invc: tuple[float, ...]
    wide_logc_hi: tuple[float, ...]
    wide_logc_lo: tuple[float, ...]
    wide_log_centre: tuple[float, ...]
    ln2_hi: float
    ln2_lo: float


def exp_table() -> ExpTable:
    """The exp table and the split ln 2/128, computed in mpmath at 256 bits.

    >>> import struct
    >>> t = exp_table()
    >>> struct.unpack("<d", struct.pack("<Q", t.hi_bits[64] + (64 << 45)))[0]  # 2^(1/2)
    1.4142135623730951
    """
    with mpmath.workprec(_PRECISION):
        hi_bits, tails, tails2 = [], [], []
        for j in range(_N):
            exact = mpmath.mpf(2) ** (mpmath.mpf(j) / _N)
            hi = float(exact)
            hi_bits.append(_bits(hi) - (j << 45))
            tails.append(float((exact - hi) / hi))
            tails2.append(float(exact / hi - 1 - mpmath.mpf(tails[-1])))
        ln2_n = mpmath.log(2) / _N
        hi = float(ln2_n)
        mantissa, exponent = mpmath.frexp(hi)
        hi = float(mpmath.ldexp(mpmath.floor(mantissa * 2**_LN2_HI_BITS), int(exponent) - _LN2_HI_BITS))
        lo = float(ln2_n - hi)
        return ExpTable(tuple(hi_bits), tuple(tails), float(1 / ln2_n), hi, lo, tuple(tails2),
                        float(ln2_n - hi - mpmath.mpf(lo)))


def log_table() -> LogTable:
    """The log1p table and ln 2 in two floats, computed in mpmath at 256 bits.

    >>> t = log_table()
    >>> t.invc[0], t.logc_hi[0]
    (1.0, 0.0)
    """
    with mpmath.workprec(_PRECISION):
        invc, logc_hi, logc_lo, log_centre = [], [], [], []
        wide_invc, wide_logc_hi, wide_logc_lo, wide_log_centre = [], [], [], []
        for j in range(_N):
            # NOTE: the first interval keeps c = 1 (r = m − 1 exactly, log c = 0): results near 0 stay
            # relatively accurate; the others use their centre, so |r| ≤ 2^-8.
            centre = mpmath.mpf(1) if j == 0 else 1 + (mpmath.mpf(j) + 0.5) / _N
            inverse = float(1 / centre)
            hi, lo = _split(-mpmath.log(mpmath.mpf(inverse)))
            invc.append(inverse)
            logc_hi.append(hi)
            logc_lo.append(lo)
            log_centre.append(float(mpmath.log(centre)))
            # NOTE: 2·invc is exact, so r = m·invc − 1 is the same number for the half interval.
            half = 0.5 if j >= _N // 2 else 1.0
            wide = (mpmath.mpf(2) if j == _N - 1 else centre) * half
            wide_inverse = 0.5 if j == _N - 1 else inverse
            wide_invc.append(wide_inverse)
            hi, lo = _split(-mpmath.log(mpmath.mpf(wide_inverse) / half))
            wide_logc_hi.append(hi)
            wide_logc_lo.append(lo)
            wide_log_centre.append(float(mpmath.log(wide)))
        ln2_hi, ln2_lo = _split(mpmath.log(2))
        return LogTable(
            tuple(invc),
            tuple(logc_hi),
            tuple(logc_lo),
            tuple(log_centre),
            tuple(wide_invc),
            tuple(wide_logc_hi),
            tuple(wide_logc_lo),
            tuple(wide_log_centre),
            ln2_hi,
            ln2_lo,
        )


#: log1p(e^z)'s grid: u_j = j·ln 2/2^SOFTPLUS_BITS, rows 0 … SOFTPLUS_PERIODIC + 2^SOFTPLUS_BITS − 1 computed (the
#: last period repeats, scaled by powers of two, up to u = SOFTPLUS_LIMIT: the loaded module expands them).
SOFTPLUS_BITS = 5
SOFTPLUS_PERIODIC = 2048
SOFTPLUS_LIMIT = 700.0
# NOTE: δ_hi keeps 37 significant bits, so j·δ_hi is exact for every j < 2^16 (u ≤ 700 needs j ≤ 32,316).
_STEP_HI_BITS = 37


@dataclass(frozen=True)
class SoftplusTable:
    """Row j: log1p(e^(−u_j)) as f_hi + f_lo and σ(−u_j) as p_hi + p_lo, u_j = j·δ (δ = ln 2/32 =
    step_hi + step_lo, inv_step = 1/δ rounded)."""

    rows: tuple[tuple[float, float, float, float], ...]
    inv_step: float
    step_hi: float
    step_lo: float

    @property
    def expanded_rows(self) -> int:
        """The rows of the expanded table: a power of two above every index round(u/δ) for 0 ≤ u ≤ SOFTPLUS_LIMIT,
        so that an index masked to it reads a row for any argument."""
        return 1 << (round(SOFTPLUS_LIMIT * self.inv_step)).bit_length()


def softplus_table() -> SoftplusTable:
    """The log1p(e^z) table, computed in mpmath at 256 bits.

    >>> t = softplus_table()
    >>> len(t.rows), t.rows[0][0], t.rows[0][2]  # log 2 and σ(0)
    (2080, 0.6931471805599453, 0.5)
    """
    with mpmath.workprec(_PRECISION):
        step = mpmath.log(2) / 2**SOFTPLUS_BITS
        mantissa, exponent = mpmath.frexp(step)
        step_hi = float(mpmath.ldexp(mpmath.floor(mantissa * 2**_STEP_HI_BITS), int(exponent) - _STEP_HI_BITS))
        rows = []
        for j in range(SOFTPLUS_PERIODIC + 2**SOFTPLUS_BITS):
            e = mpmath.exp(-j * step)
            rows.append((*_split(mpmath.log1p(e)), *_split(e / (1 + e))))
        return SoftplusTable(tuple(rows), float(1 / step), step_hi, float(step - step_hi))


def _array(name: str, ctype: str, values: tuple, render) -> str:
    rows = [", ".join(render(v) for v in values[i : i + 4]) for i in range(0, len(values), 4)]
    return f"static const {ctype} {name}[{len(values)}] = {{\n    " + ",\n    ".join(rows) + "\n};\n"


def tables_source() -> str:
    """The text of ``csrc/tables.gen.h``: ln 2 splits as #defines and the tables as static arrays."""
    e, g, f = exp_table(), log_table(), softplus_table()
    defines = [
        ("INV_LN2_N", e.inv_ln2_n),
        ("NEG_LN2_HI_N", -e.ln2_hi_n),
        ("NEG_LN2_LO_N", -e.ln2_lo_n),
        ("LN2_HI", g.ln2_hi),
        ("LN2_LO", g.ln2_lo),
        ("SOFTPLUS_INV_STEP", f.inv_step),
        ("SOFTPLUS_STEP_HI", f.step_hi),
        ("SOFTPLUS_STEP_LO", f.step_lo),
    ]
    lines = [f"#define {name} {value.hex()}" for name, value in defines]
    lines.append(f"#define SOFTPLUS_BITS {SOFTPLUS_BITS}\n#define SOFTPLUS_PERIODIC {SOFTPLUS_PERIODIC}u\n"
                 f"#define SOFTPLUS_ROWS {f.expanded_rows}\n#define SOFTPLUS_LIMIT {SOFTPLUS_LIMIT!r}")
    arrays = [
        _array("EXP_HI_BITS", "uint64_t", e.hi_bits, lambda v: f"0x{v:016x}u"),
        _array("EXP_TAIL", "double", e.tails, float.hex),
        _array("EXP_TAIL2", "double", e.tails2, float.hex),
        _array("LOG_INVC", "double", g.invc, float.hex),
        _array("LOG_LOGC_HI", "double", g.logc_hi, float.hex),
        _array("LOG_LOGC_LO", "double", g.logc_lo, float.hex),
        _array("LOG_CENTRE", "double", g.log_centre, float.hex),
        _array("LOGX_INVC", "double", g.wide_invc, float.hex),
        _array("LOGX_LOGC_HI", "double", g.wide_logc_hi, float.hex),
        _array("LOGX_LOGC_LO", "double", g.wide_logc_lo, float.hex),
        _array("LOGX_CENTRE", "double", g.wide_log_centre, float.hex),
        # NOTE: a row's four floats in one 32-byte block (one cache line), as the lookup reads them together.
        f"static const double SOFTPLUS_TABLE[{len(f.rows)}][4] __attribute__((aligned(32))) = {{\n"
        + ",\n".join("    {" + ", ".join(v.hex() for v in row) + "}" for row in f.rows) + "\n};\n",
    ]
    header = (
        "/* GENERATED by `python -m bce_sym.build` (bce_sym/build/tables.py, in mpmath at 256 bits): do not edit.\n"
        " * The tables of the primitives of primitives.h. */\n"
        "#ifndef BCE_SYM_TABLES_GEN_H\n#define BCE_SYM_TABLES_GEN_H\n\n#include <stdint.h>\n\n"
    )
    return header + "\n".join(lines) + "\n\n" + "\n".join(arrays) + "\n#endif /* BCE_SYM_TABLES_GEN_H */\n"


#: Where the NumPy copy of the tables lives (committed; ``tests/test_build.py`` checks it is fresh).
PYTHON_TABLES_PATH = Path(__file__).resolve().parents[1] / "numeric" / "_tables.py"


def python_tables_source() -> str:
    """The text of ``bce_sym/numeric/_tables.py``: the same tables as NumPy arrays, for the NumPy two-float
    primitives of ``bce_sym.numeric._two_float`` (the fallback of the compiled ones)."""
    e, g, f = exp_table(), log_table(), softplus_table()
    lines = [
        '"""The tables of the two-float primitives (generated).',
        "",
        "GENERATED by ``python -m bce_sym.build`` (bce_sym/build/tables.py, in mpmath at 256 bits): do not edit.",
        "The same numbers as ``csrc/tables.gen.h``, for ``bce_sym.numeric._two_float``.",
        '"""',
        "",
        "import numpy",
        "",
    ]
    for name, value in (("INV_LN2_N", e.inv_ln2_n), ("NEG_LN2_HI_N", -e.ln2_hi_n), ("NEG_LN2_LO_N", -e.ln2_lo_n),
                        ("LN2_HI", g.ln2_hi), ("LN2_LO", g.ln2_lo), ("NEG_LN2_TAIL_N", -e.ln2_tail_n),
                        ("SOFTPLUS_INV_STEP", f.inv_step), ("SOFTPLUS_STEP_HI", f.step_hi),
                        ("SOFTPLUS_STEP_LO", f.step_lo)):
        lines.append(f"{name} = {value!r}")
    lines += [f"SOFTPLUS_BITS = {SOFTPLUS_BITS}", f"SOFTPLUS_PERIODIC = {SOFTPLUS_PERIODIC}",
              f"SOFTPLUS_ROWS = {f.expanded_rows}", f"SOFTPLUS_LIMIT = {SOFTPLUS_LIMIT!r}"]
    lines.append("")
    arrays = [("EXP_HI_BITS", e.hi_bits), ("EXP_TAIL", e.tails), ("EXP_TAIL2", e.tails2), ("LOG_INVC", g.invc),
              ("LOG_LOGC_HI", g.logc_hi),
              ("LOG_LOGC_LO", g.logc_lo), ("LOGX_INVC", g.wide_invc), ("LOGX_LOGC_HI", g.wide_logc_hi),
              ("LOGX_LOGC_LO", g.wide_logc_lo)]
    for name, values in arrays:
        kind = "uint64" if name == "EXP_HI_BITS" else "float64"
        body = "".join(f"        0x{v:016X},\n" if kind == "uint64" else f"        {v!r},\n" for v in values)
        lines.append(f"{name} = numpy.array(\n    [\n{body}    ],\n    dtype=numpy.{kind},\n)")
    body = "".join("        [" + ", ".join(repr(v) for v in row) + "],\n" for row in f.rows)
    lines.append(f"SOFTPLUS_TABLE = numpy.array(\n    [\n{body}    ],\n    dtype=numpy.float64,\n)")
    return "\n".join(lines) + "\n"
