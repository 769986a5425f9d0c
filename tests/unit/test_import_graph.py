"""The shared package's modules import each other in one direction: the domain below ports, ports below the
services and adapters, bootstrap on top. An import cycle (even one only for type checking) would let a reader
go round in circles, so none is allowed."""

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

PACKAGE_ROOT = Path(__file__).parents[2] / "layers" / "common"


def storelink_imports() -> dict[str, set[str]]:
    """Each module of the storelink package -> the storelink modules it imports, wherever in the file."""
    graph: dict[str, set[str]] = {}
    for path in (PACKAGE_ROOT / "storelink").rglob("*.py"):
        module = ".".join(path.relative_to(PACKAGE_ROOT).with_suffix("").parts).removesuffix(".__init__")
        imported: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("storelink"):
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names if alias.name.startswith("storelink")}
        graph[module] = imported - {module}
    return graph


def test_the_package_has_no_import_cycle() -> None:
    # Given every import between storelink's modules, type-checking ones included
    graph = storelink_imports()
    # When they are put in order, Then there is one (a cycle would be named here)
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as cycle:
        raise AssertionError(f"import cycle: {' -> '.join(cycle.args[1])}") from None
    assert order.index("storelink.domain.messages") < order.index("storelink.ports")
    assert "storelink.services" not in {module.rsplit(".", 1)[0] for module in graph["storelink.ports"]}
