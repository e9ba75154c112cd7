"""The shape of the code: no import circles, no oversized files or functions in the apps.

These read the source with `ast`, so they see function-level imports too: an import moved into a
function still makes a circle, it only hides it from the interpreter until the function runs.
Imports under `if TYPE_CHECKING:` never run and are not counted.

The allow-lists below name what is still being split; each entry must still be a violation (a
stale entry fails too), so the lists only ever shrink.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("leadflow", "dealers", "leads", "followup", "privacy")

MAX_FILE_LINES = 500
MAX_FUNCTION_LINES = 60

# Modules still inside an import circle (any member of a strongly connected component).
KNOWN_CIRCLES: set[str] = set()

# "path:qualified.function" still over MAX_FUNCTION_LINES.
KNOWN_LONG_FUNCTIONS: set[str] = set()

# App files still over MAX_FILE_LINES.
KNOWN_LONG_FILES: set[str] = set()


def _app_files() -> Iterator[Path]:
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            yield path


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _known_modules() -> dict[str, Path]:
    return {_module_name(path): path for path in _app_files()}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    """Every module name an import statement in `tree` names, resolved to absolute form."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = module.split(".")
                drop = node.level - 1 if is_package else node.level
                base_parts = base_parts[: len(base_parts) - drop] if drop else base_parts
                base = ".".join(base_parts)
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            for alias in node.names:
                # `from pkg import mod` imports the module pkg.mod when there is one.
                yield f"{target}.{alias.name}"
            yield target
        stack.extend(ast.iter_child_nodes(node))


def _import_graph() -> dict[str, set[str]]:
    modules = _known_modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        edges = set()
        for target in _imports(tree, name, path.name == "__init__.py"):
            # An import of a.b.c names a.b.c if it is ours; `from a.b import X` names a.b.
            if target in modules and target != name:
                edges.add(target)
        graph[name] = edges
    return graph


def _circles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's strongly connected components with more than one member."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[set[str]] = []
    counter = 0

    def visit(start: str) -> None:
        nonlocal counter
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
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(component)

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return found


def _is_package_parent(a: str, b: str) -> bool:
    return b.startswith(a + ".") or a.startswith(b + ".")


def test_circle_finder_sees_function_level_imports():
    graph = {"x.a": {"x.b"}, "x.b": {"x.a"}, "x.c": {"x.a"}}
    assert _circles(graph) == [{"x.a", "x.b"}]
    tree = ast.parse("def f():\n    from .b import thing\n")
    assert "x.b" in set(_imports(tree, "x.a", is_package=False))
    guarded = ast.parse(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from x import b\n"
    )
    assert "x.b" not in set(_imports(guarded, "x.a", is_package=False))


def test_no_import_circles():
    graph = _import_graph()
    # A package's __init__ re-exporting its own submodules is how packages work, not a circle.
    for name, edges in graph.items():
        graph[name] = {t for t in edges if not _is_package_parent(name, t)}
    in_circles = set().union(*_circles(graph)) if _circles(graph) else set()
    new = in_circles - KNOWN_CIRCLES
    assert not new, f"modules in an import circle: {sorted(new)}"
    stale = KNOWN_CIRCLES - in_circles
    assert not stale, f"no longer in a circle, drop from KNOWN_CIRCLES: {sorted(stale)}"


def _functions(tree: ast.AST) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    def walk(node: ast.AST, prefix: str) -> Iterator[tuple[str, ast.AST]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                qual = f"{prefix}{child.name}"
                yield qual, child
                yield from walk(child, qual + ".")
            elif isinstance(child, ast.ClassDef):
                yield from walk(child, f"{prefix}{child.name}.")
            else:
                yield from walk(child, prefix)

    yield from walk(tree, "")  # type: ignore[misc]


def test_no_long_functions():
    long = set()
    for path in _app_files():
        rel = path.relative_to(ROOT).as_posix()
        for qual, fn in _functions(ast.parse(path.read_text())):
            first = fn.decorator_list[0].lineno if fn.decorator_list else fn.lineno
            if (fn.end_lineno or fn.lineno) - first + 1 > MAX_FUNCTION_LINES:
                long.add(f"{rel}:{qual}")
    new = long - KNOWN_LONG_FUNCTIONS
    assert not new, f"functions over {MAX_FUNCTION_LINES} lines: {sorted(new)}"
    stale = KNOWN_LONG_FUNCTIONS - long
    assert not stale, f"now short enough, drop from KNOWN_LONG_FUNCTIONS: {sorted(stale)}"


def test_no_long_app_files():
    long = {
        path.relative_to(ROOT).as_posix()
        for path in _app_files()
        if len(path.read_text().splitlines()) > MAX_FILE_LINES
    }
    new = long - KNOWN_LONG_FILES
    assert not new, f"app files over {MAX_FILE_LINES} lines: {sorted(new)}"
    stale = KNOWN_LONG_FILES - long
    assert not stale, f"now short enough, drop from KNOWN_LONG_FILES: {sorted(stale)}"


def test_no_virtualenv_is_tracked():
    # A tracked .venv link replaces every checkout's own virtualenv on the next merge.
    import subprocess

    tracked = subprocess.run(
        ["git", "ls-files", "--", ".venv", "venv"], cwd=ROOT, capture_output=True, text=True
    ).stdout.split()
    assert tracked == []
