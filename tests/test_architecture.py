"""The layout's rules, checked on the source itself (docs/architecture.md explains them).

- SQL is written only under ``refbot/store/`` (SLiMS's statements too: ``refbot/store/slims.py``).
- Dependencies point one way: a module imports only from its own layer or the layers below.
- No import circles.
- Each Protocol has one home: a Protocol that more than one package uses lives in ``refbot/ports.py``.
"""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Lowest first. A module may import from its own layer and every layer before it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("refbot.models", "refbot.errors", "refbot.ports", "refbot.texts", "refbot.codec", "refbot.config", "refbot.logs",
     "refbot.pacing", "refbot.metrics"),
    ("refbot.store",),
    ("refbot.pipeline", "refbot.decisions", "refbot.delivery", "refbot.catalog", "refbot.citations", "refbot.intake"),
    ("refbot.desk", "refbot.services", "refbot.evaluation"),
    ("connectors",),
    ("refbot.wiring",),
    ("refbot.worker", "refbot.web", "refbot.sandbox", "refbot.operations"),
    ("refbot.cli",),
)
SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|PRAGMA|BEGIN|WITH)\s+\S")
PROTOCOL_HOMES = {"refbot/ports.py", "refbot/desk/routing.py"}


@dataclass(frozen=True)
class Import:
    source: str
    target: str
    line: int
    type_only: bool


def _modules() -> Iterator[tuple[str, Path]]:
    for folder in ("refbot", "connectors"):
        for path in sorted((REPO / folder).rglob("*.py")):
            parts = path.relative_to(REPO).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            yield name, path


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(name: str, path: Path) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_only_lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            for inner in node.body:
                for sub in ast.walk(inner):
                    if hasattr(sub, "lineno"):
                        type_only_lines.add(sub.lineno)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[Import] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                target = f"{base}.{alias.name}" if _is_module(f"{base}.{alias.name}") else base
                found.append(Import(name, target, node.lineno, node.lineno in type_only_lines))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                found.append(Import(name, alias.name, node.lineno, node.lineno in type_only_lines))
    return [i for i in found if i.target.split(".")[0] in ("refbot", "connectors")]


def _is_module(dotted: str) -> bool:
    path = REPO.joinpath(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _layer(module: str) -> int:
    best, level = -1, -1
    for n, names in enumerate(LAYERS):
        for prefix in names:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, level = len(prefix), n
    assert level >= 0, f"{module} belongs to no layer; add it to LAYERS and docs/architecture.md"
    return level


def _strings(tree: ast.AST) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value
        elif isinstance(node, ast.JoinedStr):
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
            yield node.lineno, text


def test_sql_is_written_only_in_the_store() -> None:
    outside = []
    for name, path in _modules():
        if name.startswith("refbot.store"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                      and n.body and isinstance(n.body[0], ast.Expr)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and id(node) in docstrings:
                continue
            for line, text in _strings(node) if isinstance(node, ast.Constant | ast.JoinedStr) else ():
                if SQL.match(text) and id(node) not in docstrings:
                    outside.append(f"{path.relative_to(REPO)}:{line}: {text.strip()[:60]}")
    assert not outside, "SQL outside refbot/store:\n" + "\n".join(sorted(set(outside)))


def test_dependencies_point_down() -> None:
    upward = []
    for name, path in _modules():
        for imp in _imports(name, path):
            if _layer(imp.target) > _layer(name):
                upward.append(f"{path.relative_to(REPO)}:{imp.line}: {name} imports {imp.target}")
    assert not upward, "imports from a higher layer:\n" + "\n".join(upward)


def test_there_are_no_import_circles() -> None:
    graph: dict[str, set[str]] = {}
    for name, path in _modules():
        graph[name] = {i.target for i in _imports(name, path) if not i.type_only and i.target != name}
    circles = []
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if nxt not in graph:
                continue
            if state.get(nxt) == 1:
                circles.append(" → ".join([*trail[trail.index(nxt):], nxt]))
            elif not state.get(nxt):
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for module in sorted(graph):
        if not state.get(module):
            visit(module, [module])
    # A package's __init__ re-exporting its own modules is not a circle a reader trips over.
    real = [c for c in circles if not _package_reexport(c)]
    assert not real, "import circles:\n" + "\n".join(real)


def _package_reexport(circle: str) -> bool:
    nodes = circle.split(" → ")
    return all(a.startswith(nodes[0].rsplit(".", 1)[0]) for a in nodes) and any(
        b.startswith(a + ".") or a.startswith(b + ".") for a, b in itertools.pairwise(nodes))


def test_every_protocol_shared_between_packages_lives_in_ports() -> None:
    defined: dict[str, str] = {}
    for name, path in _modules():
        if path.name == "ports.py" and name == "refbot.ports":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and any(isinstance(b, ast.Name) and b.id == "Protocol" for b in node.bases):
                defined[node.name] = name
    stray = []
    for name, path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    home = defined.get(alias.name)
                    if home and node.module == home and _package(name) != _package(home):
                        stray.append(f"{path.relative_to(REPO)}: imports the Protocol {alias.name} from {home}")
    assert not stray, "Protocols shared between packages outside refbot/ports.py:\n" + "\n".join(stray)


def _package(module: str) -> str:
    """The package a module belongs to for this rule: refbot.<first part>, or connectors.<first part>."""
    return ".".join(module.split(".")[:2])
