"""Checking a person's derivation step by step: ``check_latex(text)`` and its ``CheckResult``.

Each ``=`` that ``bce_sym.teach.document`` finds is one ``Derivation`` of one step, checked by the proof
engine on the project's domains (s ∈ ℝ, y ∈ [0, 1], t ∈ {−1, +1}, 0 < ŷ < 1, w > 0, p_w > 0): proved,
refuted at a point (the counterexample), or unproved (sympy could not reduce the residual to 0). A step
that holds only for y ∈ {0, 1} is refuted unless its line says ``y \\in \\{0, 1\\}``.

>>> result = check_latex(r'''
... \\begin{align*}
... 1 - \\sigma(s) &= 1 - \\frac{1}{1 + e^{-s}} \\\\
...                &= \\sigma(-s)
... \\end{align*}''')
>>> result.ok, [step.status for step in result.steps]
(True, ['proved', 'proved'])
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import sympy

from bce_sym.symbolic.proof import Derivation, ProofError
from bce_sym.teach.document import UnreadableDerivation, read_steps

Status = Literal["proved", "refuted", "unproved"]


@dataclass(frozen=True)
class CheckedStep:
    """One step of a person's derivation and the engine's verdict on it.

    ``counterexample`` (refuted steps only) maps each symbol's name (``"s"``, ``"yhat"``, ``"y[1]"``) to
    its value and ``"before"`` / ``"after"`` to the two sides' values there; ``residual`` is what sympy
    could not reduce to 0 (unproved steps only); ``message`` is the engine's reason in words.
    """

    line: int
    text: str
    before: sympy.Expr
    after: sympy.Expr
    status: Status
    counterexample: dict[str, float] | None = None
    residual: sympy.Expr | None = None
    message: str = ""
    reason: str = ""
    where: dict[sympy.Symbol, tuple[int, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckResult:
    """The verdict on every step of a derivation: ``ok`` when each one is proved."""

    steps: tuple[CheckedStep, ...]

    @property
    def ok(self) -> bool:
        """Whether every step is proved."""
        return all(step.status == "proved" for step in self.steps)

    def to_text(self) -> str:
        """One line per step (two for a refuted or unproved one), then a count."""
        lines = []
        for step in self.steps:
            cases = ", ".join(f"{k} ∈ {{{', '.join(map(str, v))}}}" for k, v in step.where.items())
            lines.append(f"line {step.line}: {step.status:<8}  {step.text}" + (f"  (for {cases})" if cases else ""))
            if step.counterexample is not None:
                point = {k: v for k, v in step.counterexample.items() if k not in ("before", "after")}
                at = ", ".join(f"{k} = {_number(v)}" for k, v in point.items())
                lines.append(f"    at {at}: before = {_number(step.counterexample['before'])}, "
                             f"after = {_number(step.counterexample['after'])}")
            elif step.residual is not None:
                lines.append(f"    residual: {step.residual}")
        counts = {status: sum(step.status == status for step in self.steps)
                  for status in ("proved", "refuted", "unproved")}
        steps = f"{len(self.steps)} step{'' if len(self.steps) == 1 else 's'}"
        lines.append(f"{steps}: " + ", ".join(f"{n} {status}" for status, n in counts.items()))
        return "\n".join(lines) + "\n"


def _number(value: float) -> str:
    return f"{value:.6g}"


def _float(value: sympy.Expr) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def check_step(before: sympy.Expr, after: sympy.Expr, *, line: int = 1, text: str = "", reason: str = "",
               where: dict[sympy.Symbol, tuple[int, ...]] | None = None) -> CheckedStep:
    """The engine's verdict on ``before = after`` (restricted to the cases ``where``).

    >>> from bce_sym.symbols import s, sigmoid
    >>> check_step(1 - sigmoid(s), sigmoid(s)).status
    'refuted'
    """
    where = dict(where or {})
    derivation = Derivation(f"line {line}", before).step(after, reason or f"line {line}", where=where or None)
    verdict = CheckedStep(line, text or f"{before} = {after}", before, after, "proved", reason=reason,
                          where=where)
    try:
        derivation.check()
    except ProofError as error:
        refuted = error.reason.startswith("false")
        point = None if error.counterexample is None else {k: _float(v) for k, v in error.counterexample.items()}
        return CheckedStep(line, verdict.text, before, after, "refuted" if refuted else "unproved",
                           point if refuted else None, None if refuted else error.residual, error.reason,
                           reason, where)
    return verdict


def check_latex(text: str) -> CheckResult:
    """Check every step of the derivations written in ``text`` (LaTeX or Markdown), in order.

    Raises ValueError (``bce_sym.teach.document.UnreadableDerivation``, with ``.line``) when a block or an
    expression cannot be read, or when ``text`` holds no step at all.
    """
    if not isinstance(text, str):
        raise TypeError(f"check_latex takes the document's text as a str, got {type(text).__name__}")
    written = read_steps(text)
    if not written:
        raise UnreadableDerivation(1, "no derivation found: no align, equation, \\[ \\] or $$ block with an = in it")
    return CheckResult(tuple(check_step(step.before, step.after, line=step.line, text=step.text,
                                        reason=step.reason, where=step.where) for step in written))
