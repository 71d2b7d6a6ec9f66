"""The shape the rules of the house ask for, read from the source of the apps: no two modules
import each other (but a task module and its service, the task side importing inside a
function), and every import inside a function says why beside it.

Read with `ast` and `tokenize`, not by importing, so a circle Python happens to tolerate today
(because of the order modules load in) is found all the same.
"""

import ast
import io
import tokenize
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("engage", "events", "feedback")


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the app module imported
    line: int
    in_function: bool


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def app_modules() -> dict[str, Path]:
    """Every module of the apps but migrations (generated, and never imported by our code)."""
    found = {}
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.relative_to(ROOT).parts:
                continue
            found[_module_name(path)] = path
    return found


def _resolve(node: ast.ImportFrom | ast.Import, module: str, is_package: bool, modules) -> list:
    """The app modules an import statement loads: `from a.b import c` is a.b.c when that is a
    module, else a.b (a name defined there)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name in modules]
    base = node.module or ""
    if node.level:
        package = module.split(".") if is_package else module.split(".")[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join(package + ([base] if base else []))
    targets = []
    for alias in node.names:
        name = f"{base}.{alias.name}"
        if name in modules:
            targets.append(name)
        elif base in modules:
            targets.append(base)
    return targets


def _imports_of(module: str, path: Path, modules) -> list[Import]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []

    def visit(node, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                for target in _resolve(child, module, path.name == "__init__.py", modules):
                    if target != module:
                        found.append(Import(module, target, child.lineno, in_function))
            inner = in_function or isinstance(
                child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
            )
            visit(child, inner)

    visit(tree, False)
    return found


def import_graph() -> list[Import]:
    modules = app_modules()
    return [edge for name, path in modules.items() for edge in _imports_of(name, path, modules)]


def _is_task_pair(a: str, b: str, edges: list[Import]) -> bool:
    """A task module and a service it calls or that queues it: one side imports the other only
    inside functions (Celery's link, which keeps the two one-way while modules load)."""
    if "tasks" not in (a.rsplit(".", 1)[-1], b.rsplit(".", 1)[-1]):
        return False

    def only_in_functions(source: str, target: str) -> bool:
        return all(e.in_function for e in edges if e.source == source and e.target == target)

    return only_in_functions(a, b) or only_in_functions(b, a)


def test_no_two_app_modules_import_each_other_but_a_task_and_its_service():
    edges = import_graph()
    pairs = {(edge.source, edge.target) for edge in edges}
    circles = sorted(
        (a, b) for a, b in pairs if a < b and (b, a) in pairs and not _is_task_pair(a, b, edges)
    )
    assert circles == []


def test_the_graph_sees_imports_at_module_and_function_level():
    # The reader must see both kinds, or the test above would pass on a blind graph.
    edges = import_graph()
    assert any(e.source == "engage.mail.tasks" and not e.in_function for e in edges)
    assert any(
        e.source == "engage.mail.services" and e.target == "engage.mail.tasks" and e.in_function
        for e in edges
    )


def _comment_lines(source: str) -> set[int]:
    return {
        token.start[0]
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT
    }


def _function_imports_without_reason(path: Path) -> list[int]:
    """Lines of imports inside functions with no comment on their line or the line above their
    block (consecutive imports share the comment above the first)."""
    source = path.read_text()
    comments = _comment_lines(source)
    missing = []

    def visit(node, in_function: bool) -> None:
        block_start = None
        previous_end = None
        for child in ast.iter_child_nodes(node):
            is_import = isinstance(child, (ast.Import, ast.ImportFrom))
            if is_import and in_function:
                if previous_end is None or child.lineno != previous_end + 1:
                    block_start = child.lineno
                previous_end = child.end_lineno
                lines = set(range(child.lineno, child.end_lineno + 1))
                if not (lines & comments) and block_start - 1 not in comments:
                    missing.append(child.lineno)
            else:
                previous_end = None
            inner = in_function or isinstance(
                child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
            )
            visit(child, inner)

    visit(ast.parse(source, filename=str(path)), False)
    return missing


def test_every_import_inside_a_function_says_why():
    missing = {
        name: lines
        for name, path in app_modules().items()
        if (lines := _function_imports_without_reason(path))
    }
    assert missing == {}
