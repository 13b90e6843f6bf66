"""Reading a person's derivation (LaTeX or Markdown) and checking each step with the proof engine.

``expressions`` reads one LaTeX expression into sympy, ``document`` finds the steps of a document,
``check`` judges them (``bce_sym.check_latex``, ``bce-sym check FILE``).
"""
