"""The house rules, checked: no import cycle, no hand-written module past ~400 lines, ``__all__`` only in the
façades, and nothing at run time imports the build-time generators."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "bce_sym"
FACADES = {"bce_sym", "bce_sym.symbols", "bce_sym.numeric", "bce_sym.numeric.naive", "bce_sym.verify",
           "bce_sym.testing", "bce_sym.strategies"}
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    return {".".join(f.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__"): f
            for f in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The package's modules that ``name`` imports anywhere (inside functions too, and TYPE_CHECKING)."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = (".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
                    if node.level else (node.module or ""))
            targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        elif isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            continue
        found |= {t for t in targets if t in known and t != name and not name.startswith(t + ".")}
    return found


def _graph() -> dict[str, set[str]]:
    known = _modules()
    return {name: _imports(name, path, known) for name, path in known.items()}


def _generated(path: Path) -> bool:
    return "GENERATED" in "".join(path.read_text(encoding="utf-8", errors="replace").splitlines(True)[:6])


def test_no_module_imports_itself_around_a_loop() -> None:
    graph = _graph()

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            here = todo.pop()
            if here == goal:
                return True
            if here not in seen:
                seen.add(here)
                todo.extend(graph.get(here, ()))
        return False

    cycles = sorted({tuple(sorted((a, b))) for a in graph for b in graph[a] if reaches(b, a)})
    assert not cycles, "modules that import each other, directly or around a loop: " + ", ".join(
        " <-> ".join(pair) for pair in cycles)


def test_no_hand_written_module_is_past_the_size_a_reader_holds() -> None:
    big = [f"{path.relative_to(PACKAGE.parent)} ({n})" for path in sorted(PACKAGE.rglob("*"))
           if path.suffix in (".py", ".c", ".h") and not _generated(path)
           and (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES]
    assert not big, "hand-written modules over ~400 lines: " + ", ".join(big)


def test_all_lists_only_in_the_facades() -> None:
    listed = [name for name, path in _modules().items()
              if name not in FACADES and any(isinstance(node, ast.Assign) and any(
                  isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
                  for node in ast.parse(path.read_text(encoding="utf-8")).body)]
    assert not listed, "__all__ outside the façades: " + ", ".join(listed)


def test_nothing_at_run_time_imports_the_generators() -> None:
    graph = _graph()
    offenders = sorted(f"{a} -> {b}" for a, targets in graph.items() if not a.startswith("bce_sym.build")
                       for b in targets if b.startswith("bce_sym.build"))
    assert not offenders, "run-time modules importing bce_sym.build: " + ", ".join(offenders)
