"""The symbolic layer: the proof engine, the derivations it checks, and the stable forms the code runs.

- ``proof``: ``Derivation`` (a chain of equal expressions), its steps and claims, and ``ProofError``;
- ``domain``: what each symbol of ``bce_sym.symbols`` ranges over, its cases, and how it is sampled;
- ``refutation``: random points at which two sides differ (numbers reject a step, never accept one);
- ``tactics``: the rewrites that reduce a residual to 0 on the domain (what accepts a step);
- ``derivations``: every built-in derivation, one module per topic, in teaching order;
- ``stable_forms``: the numerically stable rewrites, each beside its textbook form; the generators of
  ``bce_sym.build`` print them as code and the ``stable-*`` derivations prove them.
"""
