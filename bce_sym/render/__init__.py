"""Documents people learn from: LaTeX, Markdown and PDF of the derivations, figures, and the report page.

- ``latex``: the printer with the article's notation, ``align*`` blocks, standalone and combined documents;
- ``markdown``: the same derivations as GitHub Markdown with ``$$`` math;
- ``documents``: the ``derivations/`` folder (``bce-sym derive``);
- ``figures``: the article's curves and the accuracy figure (``bce-sym plot``);
- ``site``: everything in one folder with an ``index.html`` (``bce-sym report``).

Nothing here is imported by ``import bce_sym``. Documents render the verifier's reports; they never make
them (the command line measures and hands the reports in).
"""
