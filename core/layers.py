"""The product's floors and the imports between its apps (`manage.py import_graph`).

The apps are layered, ground floor first, in the order of settings.INSTALLED_APPS' own apps:
core › accounts › villages › periods › pairing › cadres › households › monitoring › inspections ›
assessments › notifications › ledgers › reporting › home › api › demo. An app may import the apps below it, never one
above it: an import that points up closes a cycle sooner or later. The graph counts every
import, at module level and inside functions alike (an import moved into a function is still a
dependency); it is read from the source with `ast`, so nothing is imported to draw it.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Import:
    source: str  # the importing app
    target: str  # the imported app
    where: str  # file:line
    in_function: bool


@dataclass
class Graph:
    apps: list[str]
    imports: list[Import] = field(default_factory=list)

    @property
    def edges(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = defaultdict(set)
        for imp in self.imports:
            out[imp.source].add(imp.target)
        return out

    def cycles(self) -> list[list[str]]:
        """The strongly connected components of more than one app (Tarjan), each sorted."""
        edges = self.edges
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        stack: list[str] = []
        on_stack: set[str] = set()
        found: list[list[str]] = []
        counter = 0

        def visit(node: str) -> None:
            nonlocal counter
            index[node] = low[node] = counter
            counter += 1
            stack.append(node)
            on_stack.add(node)
            for nxt in sorted(edges.get(node, ())):
                if nxt not in index:
                    visit(nxt)
                    low[node] = min(low[node], low[nxt])
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
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

        for app in sorted(set(self.apps) | set(edges)):
            if app not in index:
                visit(app)
        return sorted(found)

    def upward(self) -> list[Import]:
        """Imports of an app above the importing one in the layer order."""
        rank = {app: i for i, app in enumerate(self.apps)}
        return [
            imp
            for imp in self.imports
            if rank.get(imp.target, -1) > rank.get(imp.source, len(rank))
        ]


def _function_nodes(tree: ast.AST) -> set[int]:
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            inside.update(id(child) for child in ast.walk(node) if child is not node)
    return inside


def build_graph(root: Path, apps: list[str]) -> Graph:
    """Every import from one of `apps` (folders under `root`) of another, migrations left out
    (they name models by label and are frozen history)."""
    graph = Graph(apps=list(apps))
    known = set(apps)
    for app in apps:
        for path in sorted((root / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            inside = _function_nodes(tree)
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    modules = [node.module]
                elif isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                else:
                    continue
                for module in modules:
                    target = module.split(".")[0]
                    if target in known and target != app:
                        graph.imports.append(
                            Import(
                                source=app,
                                target=target,
                                where=f"{path.relative_to(root)}:{node.lineno}",
                                in_function=id(node) in inside,
                            )
                        )
    return graph
