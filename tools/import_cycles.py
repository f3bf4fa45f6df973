"""Finds import circles among the add-on's runtime modules; exits 1 when there is one.

    python3 tools/import_cycles.py

Every module under resources/ plus the entry points (addon.py, service.py, script.py) is parsed
with ast, never imported, so the check needs no Kodi. An edge is any import of another runtime
module, at module level or inside a function: the style guide forbids circles that are only held
together by an import inside a function, so those count too. `from package import name` is an
edge to package.name when that is a module, else to the package itself. Each circle is printed
once, as the chain of modules that closes it. Imports under ``if TYPE_CHECKING:`` are left
out: they never run, so they close no circle at import time.

Circles listed in KNOWN_CIRCLES are printed but do not fail the check (see the comment there).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from typing import Dict, FrozenSet, List, Optional, Sequence, Set, Tuple

ROOT = Path(__file__).resolve().parent.parent
ENTRY_POINTS = ("addon.py", "service.py", "script.py")
PACKAGE = "resources"

# Circles allowed for now, each as the set of its modules. Keep it empty: break a circle by
# moving the shared piece into a module both sides import (issue 14 emptied it).
KNOWN_CIRCLES: Tuple[FrozenSet[str], ...] = ()


def runtime_files(root: Path) -> List[Path]:
    """The entry points and every .py file under resources/."""
    files = [root / name for name in ENTRY_POINTS if (root / name).is_file()]
    files.extend(sorted((root / PACKAGE).rglob("*.py")))
    return files


def module_name(root: Path, path: Path) -> str:
    """Dotted module name of a file: resources/lib/x/__init__.py -> resources.lib.x."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve_relative(current: str, is_package: bool, level: int, name: Optional[str]) -> str:
    """The absolute name that `from <level dots><name> import ...` refers to in `current`."""
    base = current.split(".")
    if not is_package:
        base = base[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    if name:
        base = base + name.split(".")
    return ".".join(base)


def imported_modules(tree: ast.AST, current: str, is_package: bool, known: Set[str]) -> Set[str]:
    """Runtime modules that this module imports anywhere in its body."""
    found: Set[str] = set()
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = _nearest_known(alias.name, known)
                if target:
                    found.add(target)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _resolve_relative(current, is_package, node.level, node.module)
            else:
                base = node.module or ""
            for alias in node.names:
                candidate = base + "." + alias.name
                if candidate in known:
                    found.add(candidate)
                    continue
                target = _nearest_known(base, known)
                if target:
                    found.add(target)
    found.discard(current)
    return found


def _runtime_nodes(tree: ast.AST) -> List[ast.AST]:
    """Every node of the tree except those under ``if TYPE_CHECKING:``."""
    nodes: List[ast.AST] = []
    pending = [tree]
    while pending:
        node = pending.pop()
        nodes.append(node)
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            pending.extend(node.orelse)
            continue
        pending.extend(ast.iter_child_nodes(node))
    return nodes


def _is_type_checking(test: ast.AST) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _nearest_known(name: str, known: Set[str]) -> Optional[str]:
    """The longest prefix of a dotted name that is a runtime module (None: not ours)."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in known:
            return candidate
        parts.pop()
    return None


def import_graph(root: Path) -> Dict[str, Set[str]]:
    """Module name -> the runtime modules it imports."""
    files = runtime_files(root)
    names = {module_name(root, path): path for path in files}
    known = set(names)
    graph: Dict[str, Set[str]] = {}
    for name, path in names.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        graph[name] = imported_modules(tree, name, path.name == "__init__.py", known)
    return graph


def _strongly_connected(graph: Dict[str, Set[str]]) -> List[List[str]]:
    """Tarjan's components, iteratively (no recursion limit on deep import chains)."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    on_stack: Set[str] = set()
    stack: List[str] = []
    components: List[List[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return components


def _one_circle(graph: Dict[str, Set[str]], members: Sequence[str]) -> List[str]:
    """A shortest chain a -> ... -> a inside one component, for a readable report."""
    inside = set(members)
    start = members[0]
    previous: Dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for child in sorted(graph[node] & inside):
                if child == start:
                    chain = [node]
                    while chain[-1] != start:
                        chain.append(previous[chain[-1]])
                    return list(reversed(chain)) + [start]
                if child not in previous:
                    previous[child] = node
                    following.append(child)
        frontier = following
    return list(members)


def find_cycles(root: Path) -> List[Tuple[FrozenSet[str], List[str]]]:
    """Per group of modules that import each other: its members and one chain that closes it."""
    graph = import_graph(root)
    groups = _strongly_connected(graph)
    return [(frozenset(members), _one_circle(graph, members)) for members in groups]


def main(argv: Optional[Sequence[str]] = None) -> int:
    root = Path(argv[0]).resolve() if argv else ROOT
    failing = known = 0
    for members, chain in find_cycles(root):
        if members in KNOWN_CIRCLES:
            print("known for now: " + " -> ".join(chain))
            known += 1
        else:
            print("import circle: " + " -> ".join(chain))
            failing += 1
    if failing:
        print("%d import circle(s) among runtime modules" % failing)
        return 1
    modules = len(import_graph(root))
    print("no import circle among %d runtime modules, %d known ones aside" % (modules, known))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
