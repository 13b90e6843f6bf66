"""Stable binary cross-entropy, its first and second derivatives and the sigmoid in NumPy, from the proven forms.

Every function evaluates a stable form of ``bce_sym.symbolic.stable_forms`` (or, for blocks of binary labels, one of the
rewrites listed in ``bce_sym.symbolic.stable_forms.SPECIALISED_FORMS``), printed at build time
(``python -m bce_sym.build``) into the blocked kernels of ``bce_sym.numeric._kernels``: the code that
runs is the expression that was proven equal to the textbook formula. Evaluation runs in float64 over
cache-sized blocks; the losses, ``sigmoid``, ``log_sigmoid`` and the second derivatives carry every
intermediate value as two floats (hi + lo: exp, log1p, log, sums, products and quotients) and round once,
so their float64 values are within 0.51 ULP wherever the result is above 2^-1000 and within 1 ULP below;
in float64 ``weight`` multiplies the value while it is still two floats, before that one rounding. Where a
value passes through a subnormal (e^(−|s|) beyond |s| ≈ 708, a subnormal p_w·y, ``bce`` at p below 2^-900)
that ``weight`` or ``pos_weight`` then scales up, its float64 value is computed exactly and correctly
rounded (``bce_sym.numeric._tail``; the two floats there lack the bits below 2^-1074). float16, bfloat16
(``ml_dtypes.bfloat16``) and float32 results are rounded once from float64 (bfloat16 through float32
rounded to odd, which keeps it one rounding), so they are correctly rounded but for rare double-rounding
ties (none in float16 or bfloat16, whose every value is checked by the tests, at labels 0 and 1). σ's
(``sigmoid``, the binary and ±1 logit gradients, the one-pass gradient) take that value rounded to odd, which
leaves none: its float64 value lay on a float32 midpoint at 78 float32 logits, which now round as the exact value
(every float32 input of each, measured by the exhaustive sweeps).

Where the optional C extension ``bce_sym.numeric._compiled`` is built (C in ``bce_sym/numeric/csrc/``:
x86-64 with AVX2 and FMA, and a C compiler at install time; ``bce_sym.numeric.BACKEND`` says
``"compiled"``), every kernel runs as one
fused C loop printed from the same instruction program, with vectorised exp, log1p and log (at most
0.51 ULP; as two floats within 2^-58 relative) and the softplus log1p(e^(−|s|)) from one table row (as two floats
within 2^-61, ``csrc/softplus.h``): the NumPy kernels give its values bit for bit. float32 calls
read and write float32 directly and use float32-grade exp, log1p and log (below 2^-50 relative before the
one rounding to float32); with ``weight`` a loss is w times that value (2^-48), and the logit gradient's
passes decide w·(σ(s) − y) for float32 themselves. Reduced losses are summed in the same pass, weighted ones
too. Elsewhere the NumPy kernels run.

Functions (array-likes in, NumPy arrays out; a 0-d array when reduced):

- ``bce(p, y, *, weight=None, reduction="none")`` and ``bce_grad(p, y, *, weight=None)``
- ``bce_with_logits(s, y, *, weight=None, pos_weight=None, reduction="none")`` and
  ``bce_with_logits_grad(s, y, *, weight=None, pos_weight=None)``; beyond the API contract,
  ``bce_with_logits_and_grad(...)`` returns both from one pass (one exp per element instead of two)
- ``logistic_loss(s, t, *, weight=None, reduction="none")`` and ``logistic_loss_grad(s, t, *, weight=None)``
- second derivatives with respect to the first argument (Newton steps, gradient boosting):
  ``bce_with_logits_hess(s, y, *, weight=None, pos_weight=None)`` = (1 + (p_w − 1)·y)·σ(s)·σ(−s),
  ``logistic_loss_hess(s, t, *, weight=None)`` = σ(s)·σ(−s) and ``bce_hess(p, y, *, weight=None)`` =
  y/p² + (1 − y)/(1 − p)², each times ``weight``
- ``sigmoid(s)``, ``log_sigmoid(s)``

``bce_sym.numeric.naive`` has the same names with the textbook formulas as they stand, and
``bce-sym codegen [--out FILE]`` prints (or writes) this whole API as one standalone module that imports
only NumPy.

Arguments broadcast like NumPy. The result dtype is the promotion of the floating-point array arguments
(float16, bfloat16, float32, float64; bfloat16 with float16 gives float32, as in NumPy and PyTorch);
integer and bool arrays and Python scalars adapt to it, and with no
floating array the result is float64. ``weight`` multiplies the elementwise loss (or gradient);
``pos_weight`` multiplies the positive term, ``−p_w·y·log σ(s)``, as in PyTorch. ``"mean"`` divides the
sum by the number of elements of the broadcast shape (NaN for an empty input), as PyTorch does.

Bad input raises ``ValueError`` (p or y outside [0, 1], t outside {−1, +1}, shapes that do not
broadcast, an unknown reduction) or ``TypeError`` (complex, object, string or long double data). NaN
inputs give NaN outputs; ``weight`` and ``pos_weight`` are not range-checked (PyTorch does not either).

Where bce_sym differs from PyTorch (``torch.nn.functional.binary_cross_entropy[_with_logits]``):

- ``bce`` is exact where PyTorch clamps ``log`` at −100: ``bce(1e-300, 1)`` is 690.78 (PyTorch: 100) and
  ``bce(0, 1)`` is ``inf`` (PyTorch: 100).
- ``bce_grad`` has no 1e-12 floor: ``bce_grad(1e-20, 1)`` is −1e20 (PyTorch divides by max(p(1−p), 1e-12)
  and returns −1e12); at p = 0 or 1 it returns the one-sided limit (−inf, +inf, or the finite value
  where the label makes the singular term vanish: ``bce_grad(0, 0)`` is 1).
- ``bce_with_logits`` is accurate in the tails: for s = −432.5, y = 0 the loss is 1.5e-188 (PyTorch
  returns 0 in float64), and its gradient σ(s) − y is formed without cancellation (PyTorch's autograd
  value loses all digits there); float32 results are correctly rounded (PyTorch's are off by up to
  1.7e7 ULP in the tails).
- Infinite logits give the limits: ``bce_with_logits(inf, 1)`` is 0 (PyTorch returns NaN:
  pytorch/pytorch#102894), ``bce_with_logits(inf, 0)`` is inf, the gradients 0 and 1. Finite input
  never produces NaN through overflow.
- Soft labels are computed without cancellation (the TensorFlow form max(s, 0) − s·y + log1p(e^−|s|)
  loses digits when s·y nearly cancels max(s, 0)). The soft-label gradient σ(s) − y, which cancels
  where σ(s) ≈ y (where training with label smoothing or distillation converges; PyTorch's float64
  value is off by up to 10^18 ULP there), is formed with σ(−|s|) carried in two floats and rounded once:
  correctly rounded in float64 (with ``weight`` and ``pos_weight`` too), float32, float16 and bfloat16,
  σ(s) ≈ y included. Where two floats cannot decide the rounding (float64 within a few ULPs of σ(s) = y)
  three floats do, and where those cannot the value is computed exactly, at about 45,000 points a second.
  With ``pos_weight`` (p_w ≠ 1) the gradient (1 + (p_w − 1)·y)·σ(s) − p_w·y cancels where σ(s) = p_w·y/(1 +
  (p_w − 1)·y) instead; it is split the same way (a label part 1 − y or −p_w·y, exact as two floats, and
  (1 + (p_w − 1)·y)·σ(−|s|) carried in two or three floats), with the same passes
  (``benchmarks/bench_soft_gradient.py --pos-weight 2 0.5 10``). The probability gradient is a two-float quotient
  rounded once: correctly rounded in float64 but for its last bit.
- The hessians have no floor: scikit-learn computes e/(1 + e)², XGBoost max(p(1 − p), 1e-16) and
  autograd σ(s)(1 − σ(s)), which is 0 once σ(s) rounds to 1 (s > 37 in float64); bce_sym's
  σ(s)σ(−s) = e^(−|s|)/(1 + e^(−|s|))² keeps the tails (``bce_with_logits_hess(40, 1)`` is 4.2e-18).
- A loss that overflows (only possible with a large ``pos_weight``) times a zero ``weight`` is 0.
- float16/bfloat16/float32 reductions are accumulated in float64 and rounded once. A float64 ``"sum"`` or
  ``"mean"`` of a logit loss (binary, soft or ±1 labels) without ``weight`` adds terms computed for the sum
  (log1p(e^(−|s|)) within 2^-51.8 relative each, where ``"none"`` rounds each loss once): the sum's own
  roundings outweigh the difference (within 0–1 ULP of the exact sum, measured up to 5·10⁶ terms).

>>> from bce_sym.numeric import bce_with_logits, bce
>>> bce_with_logits([-432.5], [0.0]).tolist()
[1.4710809679236227e-188]
>>> float(bce(0.0, 1.0))
inf
"""

from __future__ import annotations

from bce_sym.numeric._backend import BACKEND as BACKEND  # "compiled" (the C loops) or "numpy"
from bce_sym.numeric._functions import (
    bce,
    bce_grad,
    bce_hess,
    bce_with_logits,
    bce_with_logits_and_grad,
    bce_with_logits_grad,
    bce_with_logits_hess,
    log_sigmoid,
    logistic_loss,
    logistic_loss_grad,
    logistic_loss_hess,
    sigmoid,
)

__all__ = [
    "bce",
    "bce_grad",
    "bce_hess",
    "bce_with_logits",
    "bce_with_logits_grad",
    "bce_with_logits_hess",
    "bce_with_logits_and_grad",
    "logistic_loss",
    "logistic_loss_grad",
    "logistic_loss_hess",
    "sigmoid",
    "log_sigmoid",
]
