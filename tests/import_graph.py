"""Reads a package's imports with :mod:`ast` (nothing is imported) for the architecture test.

Every ``import`` counts: at module level, inside functions, and under ``if TYPE_CHECKING:``.
Importing ``a.b.c`` from a module outside package ``a.b`` also runs ``a/b/__init__.py``, so it
adds an edge to ``a.b`` as well. Each edge keeps the line that made it, for the messages.

Run it on any checkout: ``python tests/import_graph.py path/to/activelab``.
"""

from __future__ import annotations

import ast
import sys
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Edge", "ImportGraph", "LongCode", "cycle_paths", "cycles", "describe_cycle", "long_code", "read_graph"]


@dataclass(frozen=True)
class Edge:
    """``source`` imports ``target`` at ``file:line`` (``code`` is that statement)."""

    source: str
    target: str
    file: str
    line: int
    code: str
    implicit: bool = False  # the edge to a package whose __init__ the import runs

    def __str__(self) -> str:
        via = " (runs its package __init__)" if self.implicit else ""
        return f"{self.source} -> {self.target}{via}   {self.file}:{self.line}: {self.code}"


@dataclass
class ImportGraph:
    """The modules under ``root`` (dotted name -> file) and, per module, its first edge to
    every module it imports."""

    root: Path
    files: dict[str, Path]
    edges: dict[str, dict[str, Edge]]

    def targets(self, module: str) -> set[str]:
        return set(self.edges.get(module, {}))


def module_files(root: Path) -> dict[str, Path]:
    """Dotted name -> file for every module of the package at ``root``. Alembic's migration
    scripts are run by Alembic from their folder, never imported, so they are left out."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if "migrations" in parts:
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _statements(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement, wherever it is (functions, classes, TYPE_CHECKING blocks)."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node


def _imported_names(node: ast.Import | ast.ImportFrom, package: str) -> Iterator[tuple[str, str]]:
    """``(module, name)`` pairs: ``name`` is ``""`` for ``import module``."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name, ""
        return
    if node.level:
        base = package.split(".")
        base = base[: len(base) - (node.level - 1)]
        module = ".".join(base + ([node.module] if node.module else []))
    else:
        module = node.module or ""
    for alias in node.names:
        yield module, alias.name


def _edges_of(name: str, path: Path, files: dict[str, Path], root: Path) -> dict[str, Edge]:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    shown = str(path.relative_to(root.parent))

    def known(module: str) -> str | None:
        while module and module not in files:
            module = module.rpartition(".")[0]
        return module or None

    edges: dict[str, Edge] = {}
    for node in _statements(ast.parse(source, str(path))):
        code = lines[node.lineno - 1].strip()
        for module, attr in _imported_names(node, package):
            target = f"{module}.{attr}" if f"{module}.{attr}" in files else known(module)
            if target is None or target == name:
                continue
            edges.setdefault(target, Edge(name, target, shown, node.lineno, code))
            parts = target.split(".")
            for i in range(1, len(parts)):
                parent = ".".join(parts[:i])
                if parent in files and parent != name and not name.startswith(parent + "."):
                    edges.setdefault(parent, Edge(name, parent, shown, node.lineno, code,
                                                  implicit=True))
    return edges


def read_graph(root: str | Path) -> ImportGraph:
    """The import graph of the package folder ``root`` (e.g. ``activelab``, or the same
    folder in an old checkout)."""
    root = Path(root).resolve()
    files = module_files(root)
    edges = {name: _edges_of(name, path, files, root) for name, path in files.items()}
    return ImportGraph(root, files, edges)


def cycles(graph: ImportGraph) -> list[list[str]]:
    """The strongly connected components of more than one module, each sorted (Tarjan,
    iterative so that deep graphs need no recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph.files):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.targets(start))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.targets(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found)


def cycle_paths(graph: ImportGraph, component: list[str]) -> list[list[Edge]]:
    """Shortest cycles through the modules of ``component``, as edges, until every module
    of it is on one."""
    paths: list[list[Edge]] = []
    covered: set[str] = set()
    for start in component:
        if start not in covered:
            paths.append(_shortest_cycle(graph, start, set(component)))
            covered.update(edge.source for edge in paths[-1])
    return paths


def _shortest_cycle(graph: ImportGraph, start: str, inside: set[str]) -> list[Edge]:
    came_from: dict[str, Edge] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for target in sorted(graph.targets(node) & inside):
            edge = graph.edges[node][target]
            if target == start:
                path = [edge]
                while path[0].source != start:
                    path.insert(0, came_from[path[0].source])
                return path
            if target not in came_from:
                came_from[target] = edge
                queue.append(target)
    raise ValueError(f"no cycle through {start} inside {sorted(inside)}")


def describe_cycle(graph: ImportGraph, component: list[str]) -> str:
    """``a <-> b`` and, indented below, every import line on its cycles."""
    lines = [" <-> ".join(component)]
    for number, path in enumerate(cycle_paths(graph, component)):
        if number:
            lines.append("  and")
        lines += [f"    {edge}" for edge in path]
    return "\n".join(lines)


@dataclass(frozen=True)
class LongCode:
    """A module over the line limit (``function`` is ``""``) or a function over its limit."""

    file: str
    function: str
    lines: int

    @property
    def key(self) -> str:
        return f"{self.file}:{self.function}" if self.function else self.file


def _states_a_reason(docstring: str | None) -> bool:
    return any(line.strip().startswith("Long because") for line in (docstring or "").splitlines())


def long_code(root: str | Path, max_module: int = 600, max_function: int = 80) -> list[LongCode]:
    """Modules over ``max_module`` lines and functions over ``max_function`` lines whose
    docstring does not state why (a line starting with "Long because")."""
    root = Path(root).resolve()
    found = []
    for path in module_files(root).values():
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source, str(path))
        shown = path.relative_to(root.parent).as_posix()
        n_lines = len(source.splitlines())
        if n_lines > max_module and not _states_a_reason(ast.get_docstring(tree)):
            found.append(LongCode(shown, "", n_lines))
        for node, qualname in _functions(tree):
            length = node.end_lineno - node.lineno + 1  # type: ignore[operator]
            if length > max_function and not _states_a_reason(ast.get_docstring(node)):
                found.append(LongCode(shown, qualname, length))
    return found


def _functions(tree: ast.AST, prefix: str = "") -> Iterator[tuple[ast.AST, str]]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            name = f"{prefix}{node.name}"
            if not isinstance(node, ast.ClassDef):
                yield node, name
            yield from _functions(node, name + ".")
        else:
            yield from _functions(node, prefix)


if __name__ == "__main__":
    read = read_graph(sys.argv[1] if len(sys.argv) > 1 else "activelab")
    components = cycles(read)
    print(f"{len(read.files)} modules; {len(components)} cycles")
    for members in components:
        print("cycle:", describe_cycle(read, members))
