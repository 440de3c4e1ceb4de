"""The project's import graph: no cycles, and the layers of docs in architecture.md.

Lazy imports (inside functions) count: a dependency is a dependency wherever it is written.
Built with grimp, which reads the source without importing it.
"""

from __future__ import annotations

from functools import cache

import grimp

PACKAGES = ("carriers", "merchants", "tms_gateway")


@cache
def _graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PACKAGES)


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    modules = sorted(graph.modules)
    imported = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(root: str) -> None:
        # iterative depth-first search: (module, position in its imports)
        work = [(root, 0)]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, at = work[-1]
            if at < len(imported[module]):
                work[-1] = (module, at + 1)
                other = imported[module][at]
                if other not in index:
                    index[other] = low[other] = len(index)
                    stack.append(other)
                    on_stack.add(other)
                    work.append((other, 0))
                elif other in on_stack:
                    low[module] = min(low[module], index[other])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[module])
            if low[module] == index[module]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == module:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))

    for module in modules:
        if module not in index:
            visit(module)
    return sorted(groups)


def test_the_finder_finds_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for name in ("a", "a.x", "a.y", "a.z"):
        graph.add_module(name)
    graph.add_import(importer="a.x", imported="a.y")
    graph.add_import(importer="a.y", imported="a.x")
    graph.add_import(importer="a.z", imported="a.x")

    assert import_cycles(graph) == [["a.x", "a.y"]]


def test_no_module_of_the_project_imports_itself_round_a_cycle() -> None:
    assert import_cycles(_graph()) == []


def test_carriers_import_nothing_above_them() -> None:
    graph = _graph()
    upward = sorted(
        (module, other)
        for module in graph.find_children("carriers") | graph.find_descendants("carriers")
        for other in graph.find_modules_directly_imported_by(module)
        if other.split(".")[0] in ("merchants", "tms_gateway")
    )
    assert upward == []


def test_settings_modules_do_not_import_the_module_that_imports_them() -> None:
    graph = _graph()
    into_base = sorted(
        module
        for module in graph.find_descendants("tms_gateway.settings")
        if module not in ("tms_gateway.settings.local", "tms_gateway.settings.test")
        and module != "tms_gateway.settings.production"
        and graph.direct_import_exists(importer=module, imported="tms_gateway.settings.base")
    )
    assert into_base == []


def test_authentication_reads_through_selectors_not_the_orm() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    modules = ("tms_gateway/ksa/authentication.py", "tms_gateway/api/authentication.py")
    querying = [m for m in modules if ".objects" in (root / m).read_text()]
    assert querying == []
