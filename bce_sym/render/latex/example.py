r"""The worked example of the combined document: one sample carried through every form, then a score at
which the textbook formula overflows and the stable form does not.

The numbers are computed when the document is written: the exact values with mpmath, what float64 does
with NumPy evaluating the formulas as they stand.

>>> "800" in worked_example_latex()
True
"""

from __future__ import annotations

import mpmath
import numpy as np


def _digits(value: float | mpmath.mpf, digits: int = 6) -> str:
    """A number for the text: ``digits`` significant digits, ``\\infty`` for an infinity."""
    if np.isinf(float(value)):
        return r"\infty" if float(value) > 0 else r"-\infty"
    return mpmath.nstr(mpmath.mpf(value), digits, strip_zeros=False)


def _plain(value: float | mpmath.mpf) -> str:
    """A number as short as it is exact: ``800``, ``0``, ``\\infty``."""
    if np.isinf(float(value)):
        return r"\infty" if float(value) > 0 else r"-\infty"
    text = mpmath.nstr(mpmath.mpf(value), 17)
    return text[:-2] if text.endswith(".0") else text


def _scientific(value: mpmath.mpf) -> str:
    mantissa, exponent = mpmath.nstr(value, 2, min_fixed=1, max_fixed=0).split("e")
    return rf"{mantissa} \times 10^{{{int(exponent)}}}"


def worked_example_latex(score: float = 2.0, extreme: float = -800.0) -> str:
    r"""The worked example as a LaTeX section (unnumbered, listed in the contents).

    Args:
        score: the logit of the first example, for the label ``y = 1``.
        extreme: a logit at which ``e^{-s}`` overflows float64.
    """
    # NOTE: workdps, not mp.dps: the precision is this function's, not the process's.
    with mpmath.workdps(40):
        s = mpmath.mpf(score)
        p = 1 / (1 + mpmath.exp(-s))
        loss = mpmath.log(1 + mpmath.exp(-s))
        x = mpmath.mpf(extreme)
        exact = mpmath.log(1 + mpmath.exp(-x))
        tiny = mpmath.exp(-abs(x))
    with np.errstate(over="ignore", divide="ignore", under="ignore"):
        textbook_p = 1 / (1 + np.exp(-np.float64(extreme)))
        textbook = -np.log(textbook_p)
        stable = np.maximum(-np.float64(extreme), 0.0) + np.log1p(np.exp(-abs(np.float64(extreme))))
    largest = np.finfo(np.float64).max
    s_tex, x_tex, minus_x = _digits(score, 2).rstrip("0").rstrip("."), f"{extreme:g}", f"{-extreme:g}"
    lines = [
        rf"\hat{{y}} &= \sigma({s_tex}) = \frac{{1}}{{1 + e^{{-{s_tex}}}}} \approx {_digits(p)}",
        rf"L &= -\log \hat{{y}} = \log(1 + e^{{-{s_tex}}}) \approx {_digits(loss)}"
        r" && \text{both forms, with } t = 2y - 1 = 1",
        rf"\frac{{\partial L}}{{\partial s}} &= \sigma({s_tex}) - 1 \approx {_digits(p - 1)}",
        rf"\frac{{\partial^2 L}}{{\partial s^2}} &= \sigma({s_tex}) (1 - \sigma({s_tex})) "
        rf"\approx {_digits(p * (1 - p))}",
        rf"L \text{{ (stable)}} &= \max(-{s_tex}, 0) + \operatorname{{log1p}}(e^{{-{s_tex}}}) \approx {_digits(loss)}",
    ]
    return "\n".join([
        r"\section*{A worked example}",
        r"\addcontentsline{toc}{section}{A worked example}",
        rf"Take a positive sample, $y = 1$, with the score $s = {s_tex}$.",
        "\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}",
        rf"Now a confidently wrong score, $s = {x_tex}$. The exact loss is "
        rf"$\log(1 + e^{{{minus_x}}}) = {minus_x} + \operatorname{{log1p}}(e^{{{x_tex}}})$ with "
        rf"$e^{{{x_tex}}} \approx {_scientific(tiny)}$: it is ${_plain(mpmath.mpf(float(exact)))}$ to every digit a "
        rf"float64 holds. The textbook formula first computes $e^{{{minus_x}}}$, which overflows "
        rf"(the largest float64 is about ${_scientific(mpmath.mpf(float(largest)))}$), so in float64 "
        rf"$\hat{{y}} = 1/(1 + \infty)$ rounds to ${_plain(textbook_p)}$ and "
        rf"$L = -\log {_plain(textbook_p)} = {_plain(textbook)}$. "
        rf"The stable form never raises $e$ to a positive power: $\max({minus_x}, 0) + "
        rf"\operatorname{{log1p}}(e^{{{x_tex}}})$ gives ${_plain(stable)}$ in float64, the exact value "
        rf"rounded. The gradient $\sigma({x_tex}) - 1$ is $-1$ in both.",
    ])
