"""The one vocabulary of labels: what a quantity takes, what a check draws, and the case of a fixed label.

A quantity takes a label y ∈ [0, 1] (``Labels.SOFT``: binary labels are the special case y ∈ {0, 1}), a
±1 label t (``Labels.PM``) or none (``Labels.NONE``). A sampled check draws ``BINARY`` or ``SOFT`` labels
for a y-labelled quantity, ``PM`` labels for a t-labelled one. A sweep runs at one fixed label, whose
*case* (``"0"``, ``"1"``, ``"soft"``, ``"-1"``, ``"+1"`` or ``"none"``) picks the reference's branch.

``Labels`` is a ``str`` enum, so a member equals its text (``Labels.SOFT == "soft"``) and JSON keeps the
text; :func:`parse_labels` is the one place where text from a user becomes a member.

>>> parse_labels("soft") is Labels.SOFT
True
>>> label_case(Labels.PM, -1.0), label_case(Labels.SOFT, 0.25), label_case(Labels.NONE, None)
('-1', 'soft', 'none')
"""

from __future__ import annotations

import enum


class Labels(str, enum.Enum):
    """A kind of label: the domain a quantity takes, or the labels a check draws."""

    NONE = "none"  # no label argument (sigmoid, log_sigmoid)
    BINARY = "binary"  # y ∈ {0, 1}
    SOFT = "soft"  # y ∈ [0, 1]
    PM = "pm"  # t ∈ {−1, +1}

    def __str__(self) -> str:
        return self.value

    @property
    def symbol(self) -> str:
        """The letter the label goes by in formulas and reports: ``y``, ``t``, or empty for none."""
        return {Labels.NONE: "", Labels.PM: "t"}.get(self, "y")

    @property
    def allowed(self) -> str:
        """What a label of this kind may be, as an error message says it."""
        return _ALLOWED[self]

    def contains(self, value: float) -> bool:
        """Whether ``value`` is a label of this kind (NaN is not).

        >>> Labels.SOFT.contains(0.3), Labels.BINARY.contains(0.3), Labels.PM.contains(0.0)
        (True, False, False)
        """
        if self is Labels.NONE:
            return False
        if self is Labels.PM:
            return value in (-1.0, 1.0)
        if self is Labels.BINARY:
            return value in (0.0, 1.0)
        return 0.0 <= value <= 1.0


_ALLOWED = {
    Labels.NONE: "no label",
    Labels.BINARY: "0 or 1",
    Labels.SOFT: "0, 1 or a soft label in [0, 1]",
    Labels.PM: "-1 or +1",
}

#: The labels a sampled check of a y-labelled quantity may draw (``labels=`` of ``check``).
DRAWN: tuple[Labels, ...] = (Labels.BINARY, Labels.SOFT)


def parse_labels(text: object, allowed: tuple[Labels, ...] = tuple(Labels)) -> Labels:
    """The member named ``text`` (a member, or its text, or None for ``NONE``); ``ValueError`` otherwise.

    >>> parse_labels("pm", allowed=DRAWN)
    Traceback (most recent call last):
    ...
    ValueError: unknown labels 'pm'; allowed: binary, soft
    """
    if text is None:
        text = Labels.NONE
    try:
        member = Labels(text)
    except ValueError:
        member = None
    if member is None or member not in allowed:
        raise ValueError(f"unknown labels {text!r}; allowed: {', '.join(m.value for m in allowed)}")
    return member


def drawn_labels(takes: Labels, requested: object = Labels.BINARY) -> Labels:
    """The labels a check of a quantity that takes ``takes`` draws when ``requested`` are asked for.

    ``requested`` (``"binary"`` or ``"soft"``) matters only for y-labelled quantities: a ±1-labelled one
    draws ``PM``, a label-free one ``NONE``.

    >>> drawn_labels(Labels.PM, "soft"), drawn_labels(Labels.SOFT, "soft")
    (<Labels.PM: 'pm'>, <Labels.SOFT: 'soft'>)
    """
    requested = parse_labels(requested, DRAWN)
    return requested if takes is Labels.SOFT else takes


def label_case(takes: Labels, label: float | None, quantity: str = "this quantity") -> str:
    """The case of the fixed ``label`` for a quantity that takes ``takes``; ``ValueError`` if it does not fit.

    >>> label_case(Labels.SOFT, 3.0, "bce")
    Traceback (most recent call last):
    ...
    ValueError: bce: the label y must be 0, 1 or a soft label in [0, 1], got 3.0
    """
    if takes is Labels.NONE:
        if label is not None:
            raise ValueError(f"{quantity} takes no label; pass label=None, got {label!r}")
        return "none"
    if label is None:
        raise ValueError(f"{quantity} needs a label: {takes.allowed}")
    value = float(label)
    if not takes.contains(value):
        raise ValueError(f"{quantity}: the label {takes.symbol} must be {takes.allowed}, got {label!r}")
    if takes is Labels.PM:
        return "+1" if value > 0 else "-1"
    return str(int(value)) if value in (0.0, 1.0) else "soft"
