"""The probability form: the Bernoulli likelihood, the loss as its negative log, and the batch sum.

>>> likelihood().result
yhat**y*(1 - yhat)**(1 - y)
"""

from __future__ import annotations

import sympy

from bce_sym.symbolic.proof import Derivation
from bce_sym.symbols import N, i, y, y_i, yhat, yhat_i


def bernoulli(p: sympy.Expr, label: sympy.Expr) -> sympy.Expr:
    """P(y | x) = ŷ^y (1 − ŷ)^(1 − y), the article's one expression for both cases."""
    return p**label * (1 - p) ** (1 - label)


def bce_loss(p: sympy.Expr, label: sympy.Expr) -> sympy.Expr:
    """−[y log ŷ + (1 − y) log(1 − ŷ)], the binary cross-entropy of one sample."""
    return -(label * sympy.log(p) + (1 - label) * sympy.log(1 - p))


def _powers(p: sympy.Expr, label: int) -> sympy.Expr:
    """ŷ^y (1 − ŷ)^(1 − y) at a numeric label, held unevaluated so that the step shows the powers."""
    return sympy.Mul(sympy.Pow(p, label, evaluate=False), sympy.Pow(1 - p, 1 - label, evaluate=False),
                     evaluate=False)


def likelihood() -> Derivation:
    """The two cases P(y = 1 | x) = ŷ and P(y = 0 | x) = 1 − ŷ as one expression."""
    cases = sympy.Piecewise((yhat, sympy.Eq(y, 1)), (1 - yhat, sympy.Eq(y, 0)))
    return (
        Derivation("likelihood", cases, title="The Bernoulli likelihood", where={y: (0, 1)})
        .step(
            sympy.Piecewise((_powers(yhat, 1), sympy.Eq(y, 1)), (_powers(yhat, 0), sympy.Eq(y, 0))),
            r"$x^0 = 1$ and $x^1 = x$ write each case as a product of two powers",
        )
        .step(bernoulli(yhat, y),
              r"in both cases the exponents are $y$ and $1 - y$: one expression for $y \in \lbrace 0, 1 \rbrace$")
    )


def bce_from_likelihood() -> Derivation:
    """The loss is −log P(y | x): maximising the likelihood is minimising this loss."""
    powers = sympy.Add(sympy.log(yhat**y, evaluate=False), sympy.log((1 - yhat) ** (1 - y), evaluate=False),
                       evaluate=False)
    return (
        Derivation("bce-from-likelihood", -sympy.log(bernoulli(yhat, y)),
                   title="Binary cross-entropy as the negative log-likelihood")
        .step(-powers,
              r"the log of a product of positive factors is the sum of their logs, $\log(ab) = \log a + \log b$",
              rule="log of a product")
        .step(bce_loss(yhat, y), r"$\log a^b = b \log a$ for $a > 0$ (here $0 < \hat{y} < 1$)",
              rule="log of a power")
    )


def bce_batch() -> Derivation:
    """For N independent samples the likelihoods multiply, so the losses add."""
    sample = bernoulli(yhat_i[i], y_i[i])
    return (
        Derivation("bce-batch", -sympy.log(sympy.Product(sample, (i, 1, N))),
                   title="The loss of a batch of N samples")
        .step(-sympy.Sum(sympy.log(sample), (i, 1, N)),
              "the samples are independent, so their likelihoods multiply; the log of a product of positive "
              "factors is the sum of their logs", rule="log of a product")
        .step(-sympy.Sum(sympy.Add(sympy.log(yhat_i[i] ** y_i[i], evaluate=False),
                                   sympy.log((1 - yhat_i[i]) ** (1 - y_i[i]), evaluate=False), evaluate=False),
                         (i, 1, N)),
              "the log of a product is the sum of the logs, for each sample", rule="log of a product")
        .step(-sympy.Sum(-bce_loss(yhat_i[i], y_i[i]), (i, 1, N)), r"$\log a^b = b \log a$ for each sample",
              rule="log of a power")
    )
