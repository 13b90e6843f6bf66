"""The standalone module of ``bce-sym codegen``: the NumPy kernels and the driver in one file importing only NumPy.

Internal to ``bce_sym.build``. :func:`standalone_source` concatenates the two-float primitives in NumPy
(``numeric/_tables.py``, ``numeric/_two_float.py``, ``numeric/_exp_fine.py``, ``numeric/_exp_pair.py``,
``numeric/_exp_triple.py``), the elementary functions
(``numeric/_elementary.py``, bound to NumPy's ufuncs and those primitives), the kernels of
``numpy_printer``, and the driver modules (``_validation``, ``_limits``, ``_e_term``, ``_undecided``, ``_tail``,
``_dispatch``, ``_driver``, ``_functions``), read as text by path (never imported: a broken artifact must not break its
generator), each less its docstring and its imports; their standard-library and NumPy imports are
gathered at the top. ``python -m bce_sym.build`` writes it to ``bce_sym/numeric/standalone.py.txt``
(``STANDALONE_PATH``), which the CLI copies out.

>>> source = standalone_source()
>>> "import bce_sym" in source or "from bce_sym" in source
False
"""

from __future__ import annotations

import ast
from pathlib import Path

from bce_sym.build.numpy_printer import HEADER, kernels_body

NUMERIC = Path(__file__).resolve().parents[1] / "numeric"
#: The committed standalone module (package data; ``tests/test_build.py`` checks it is fresh).
STANDALONE_PATH = NUMERIC / "standalone.py.txt"

#: The driver modules, in the order their names are defined in.
DRIVER_MODULES = ("_validation", "_limits", "_e_term", "_undecided", "_tail", "_dispatch", "_driver", "_functions")

# NOTE: what the run-time choices become in the standalone module: the NumPy ones for the primitives of
# bce_sym.numeric._backend (as without the extension), and no compiled kernels (bce_sym.numeric._kernel_tables).
_NUMPY_PRIMITIVES = (
    "_exp, _log1p, _log = exp, numpy.log1p, numpy.log\n"
    "_exp_two, _log1p_two, _log_two, _two_prod_primitive = exp_two, log1p_two, log_two, two_prod\n"
    "_exp_fine = exp_fine\n"
    "_log1p_exp_two, _log1p_exp_sum_primitive = log1p_exp_two, log1p_exp_sum\n"
    "_exp_pair_high, _exp_pair_low = exp_pair_hi, exp_pair_lo\n"
    "_exp_triple_high, _exp_triple_middle, _exp_triple_low = exp_triple_hi, exp_triple_mid, exp_triple_lo"
)
_NUMPY_TABLES = "KERNELS_FLOAT32: dict = {}\nFROM_LABELS: dict = {}\nCOMPILED: frozenset = frozenset()\nBEYOND = None"


class StandaloneError(Exception):
    """A driver module holds something the standalone module cannot take (an internal error)."""


def _split(name: str) -> tuple[list[str], str]:
    """(outside imports, body) of ``numeric/NAME.py``: the body less the docstring and every import.

    Imports of ``bce_sym`` are dropped (the names are defined earlier in the standalone module);
    ``from __future__`` too: with string annotations, dataclasses looks the module up in sys.modules,
    which a file loaded by path (importlib) need not be in.
    """
    text = (NUMERIC / f"{name}.py").read_text(encoding="utf-8")
    lines = text.splitlines()
    drop: set[int] = set()
    imports: list[str] = []
    tree = ast.parse(text)
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and node is tree.body[0]:
            drop.update(range(node.lineno - 1, node.end_lineno))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            drop.update(range(node.lineno - 1, node.end_lineno))
            module = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
            if module.split(".")[0] == "bce_sym":
                if any(alias.asname for alias in node.names) and name != "_elementary":
                    raise StandaloneError(f"numeric/{name}.py renames an import of bce_sym")
            elif module != "__future__":
                imports.append(ast.get_source_segment(text, node))
    body = "\n".join(line for k, line in enumerate(lines) if k not in drop)
    return imports, body.strip("\n")


def _bound(body: str) -> dict[str, str]:
    """The names a module body binds at top level (functions, classes, assignments), each with its statement."""
    tree = ast.parse(body)
    bound: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            targets = [node.name]
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            sides = node.targets if isinstance(node, ast.Assign) else [node.target]
            targets = [leaf.id for side in sides for leaf in ast.walk(side) if isinstance(leaf, ast.Name)]
        else:
            continue
        for target in targets:
            bound[target] = ast.get_source_segment(body, node) or ""
    return bound


def check_names(bodies: dict[str, str]) -> None:
    """Refuse module bodies of which two bind one name differently: in one file the later would silently
    replace the earlier for the code of both (the same statement twice, a shared constant, is fine)."""
    first: dict[str, tuple[str, str]] = {}
    for module, body in bodies.items():
        for name, statement in _bound(body).items():
            if name in first and first[name][1] != statement:
                raise StandaloneError(
                    f"numeric/{first[name][0]}.py and numeric/{module}.py both define {name}, differently: "
                    "the standalone module would keep only the second; rename one"
                )
            first.setdefault(name, (module, statement))


def _public_names() -> list[str]:
    """The façade's ``__all__`` (``bce_sym/numeric/__init__.py``), read as text."""
    tree = ast.parse((NUMERIC / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            return list(ast.literal_eval(node.value))
    raise StandaloneError("bce_sym/numeric/__init__.py has no __all__")


def standalone_source() -> str:
    """The source of the standalone NumPy module written by ``bce-sym codegen``; it imports only NumPy."""
    imports: list[str] = []
    bodies = []
    modules = ("_tables", "_two_float", "_exp_fine", "_exp_pair", "_exp_triple", "_elementary", *DRIVER_MODULES)
    for name in modules:
        found, body = _split(name)
        imports += [line for line in found if line not in imports]
        bodies.append(body)
    # NOTE: the kernels' body is left out: the façade's functions (_functions) take its public names on purpose,
    # after the kernel tables have kept the kernels.
    check_names(dict(zip(modules, bodies, strict=True)))
    header = HEADER.format(
        title="Numerically stable binary cross-entropy in NumPy: standalone module (generated by bce-sym).",
        what="Written out by ``bce-sym codegen --out FILE``; it imports only NumPy.",
    )
    # NOTE: as isort orders them: plain imports first, then from-imports, each by module.
    standard = sorted((line for line in imports if "numpy" not in line), key=lambda line: (line[0] == "f", line))
    third_party = [line for line in imports if "numpy" in line]
    names = "__all__ = [\n" + "".join(f'    "{name}",\n' for name in _public_names()) + "]"
    # NOTE: the two-float primitives in NumPy (the extension's fallbacks) come first: the elementary
    # functions end in them.
    elementary = modules.index("_elementary")
    parts = [names, *bodies[:elementary], _NUMPY_PRIMITIVES + "\n" + bodies[elementary], kernels_body().strip("\n"),
             _NUMPY_TABLES, *bodies[elementary + 1:]]
    return "\n".join([header, *standard, "", *third_party, "", ""]) + "\n\n\n".join(parts) + "\n"
