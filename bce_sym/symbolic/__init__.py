"""The symbolic layer: the proof engine, the derivations it checks, and the stable forms the code runs.

- ``proof``: ``Derivation`` (a chain of equal expressions) and the engine that proves each step on the
  domain of the symbols of ``bce_sym.symbols``.
- ``derivations``: every built-in derivation, one module per topic, in teaching order.
- ``stable_forms``: the numerically stable rewrites, each beside its textbook form; the generators of
  ``bce_sym.build`` print them as code and the ``stable-*`` derivations prove them.
"""
