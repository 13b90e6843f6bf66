"""LaTeX for derivations: a sympy printer with the article's notation, ``align*`` blocks, whole documents.

- ``ordering``: the order of factors and terms, as tables of rules;
- ``printer``: ``BceLatexPrinter`` and ``latex(expr)``, with ``\\left( \\right)`` only around tall content;
- ``text``: reasons and headings as ASCII LaTeX text, their formulas in math;
- ``derivation``: a derivation as an ``align*`` block with reasons that wrap (what ``Derivation.latex()`` returns);
- ``document``: standalone and combined documents that compile with pdflatex.
"""
