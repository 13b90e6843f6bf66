"""The symbols every derivation speaks in, and the sigmoid as a sympy Function.

Each symbol carries the assumptions its domain needs; what sympy's assumptions cannot say (0 < ŷ < 1,
y ∈ {0, 1}, t ∈ {−1, +1}) the proof engine handles by cases and substitutions (see ``bce_sym.symbolic.domain``).

>>> from bce_sym.symbols import s, sigmoid
>>> import sympy
>>> sigmoid(s).rewrite(sympy.exp)
1/(1 + exp(-s))
>>> sigmoid(s).diff(s)
(1 - sigmoid(s))*sigmoid(s)
"""

from __future__ import annotations

import sympy
from sympy.printing.latex import LatexPrinter

__all__ = [
    "s", "y", "t", "yhat", "w", "pos_weight", "i", "N",
    "s_i", "y_i", "t_i", "yhat_i", "x", "theta", "b",
    "x1", "x2", "theta1", "theta2", "v1", "v2", "sigmoid",
]

#: The logit (the sigmoid's input): any real number.
s = sympy.Symbol("s", real=True)
#: The label of the probability form: y ∈ {0, 1}, or a soft label in [0, 1].
y = sympy.Symbol("y", real=True)
#: The ±1 label of the logistic form; the engine checks steps with t by the cases t = −1 and t = +1.
t = sympy.Symbol("t", real=True, nonzero=True)
#: The predicted probability ŷ = P(y = 1 | x); the engine proves steps on 0 < ŷ < 1.
yhat = sympy.Symbol("yhat", positive=True)
#: A sample weight (PyTorch's ``weight``): positive.
w = sympy.Symbol("w", positive=True)
#: The weight of the positive class (PyTorch's ``pos_weight``): positive.
pos_weight = sympy.Symbol("p_w", positive=True)
#: Batch index and batch size.
i = sympy.Symbol("i", integer=True, positive=True)
N = sympy.Symbol("N", integer=True, positive=True)

# A model with one feature: the score is s = θx + b. NOTE: θ, not w, is the model's weight: w is the
# sample weight of the weighted loss.
#: A feature of the sample: any real number.
x = sympy.Symbol("x", real=True)
#: The model's weight on the feature x: any real number.
theta = sympy.Symbol("theta", real=True)
#: The model's bias: any real number.
b = sympy.Symbol("b", real=True)
#: A model with two features, s = θ₁x₁ + θ₂x₂ + b, and a direction v = (v₁, v₂) in its weights: for the
#: Hessian, whose quadratic form vᵀHv shows it positive semi-definite. All real.
x1, x2, theta1, theta2, v1, v2 = sympy.symbols("x_1 x_2 theta_1 theta_2 v_1 v_2", real=True)

# Per-sample quantities of a batch, indexed by i; the same assumptions as their scalar namesakes.
s_i = sympy.IndexedBase("s", real=True)
y_i = sympy.IndexedBase("y", real=True)
t_i = sympy.IndexedBase("t", real=True, nonzero=True)
yhat_i = sympy.IndexedBase("yhat", positive=True)


class sigmoid(sympy.Function):  # noqa: N801 - named like sympy's own functions (exp, log)
    """The logistic sigmoid σ(x) = 1 / (1 + e^(−x)).

    It stays unevaluated (so that 1 − σ(s) = σ(−s) is something to prove, not something sympy assumes),
    except at 0 where σ(0) = 1/2.

    >>> sigmoid(0)
    1/2
    >>> sympy.latex(sigmoid(s))
    '\\\\sigma\\\\left(s\\\\right)'
    """

    @classmethod
    def eval(cls, x):  # noqa: D102 - sympy's hook
        if x.is_zero:
            return sympy.S.Half
        if x is sympy.S.Infinity:
            return sympy.S.One
        if x is sympy.S.NegativeInfinity:
            return sympy.S.Zero
        return None

    def fdiff(self, argindex: int = 1):  # noqa: D102 - sympy's hook
        return self * (1 - self)

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return 1 / (1 + sympy.exp(-x))

    def _eval_is_real(self):
        return self.args[0].is_real

    def _eval_is_positive(self):
        return True if self.args[0].is_real else None

    def _eval_is_extended_real(self):
        return self.args[0].is_extended_real

    def _latex(self, printer: LatexPrinter, exp=None):
        body = r"\sigma\left(" + printer._print(self.args[0]) + r"\right)"
        return body if exp is None else body + "^{" + str(exp) + "}"

    def _eval_evalf(self, prec):
        x = self.args[0]._eval_evalf(prec)
        if x is None:
            return None
        return (1 / (1 + sympy.exp(-x)))._eval_evalf(prec)
