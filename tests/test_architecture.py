"""The project's import graph: no cycles, and the layers of the architecture doc
(../shared/docs/architecture.md: "the data of one request flows one way ... no module reaches
back up").

Lazy imports (inside functions) count: a dependency is a dependency wherever it is written.
Built with grimp, which reads the source without importing it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import grimp

PACKAGES = ("carriers", "merchants", "tms_gateway")


@dataclass(frozen=True)
class Layer:
    """Groups of modules, each named by package prefixes (a prefix is the module and everything
    under it). In an independent layer no group imports another."""

    name: str
    groups: tuple[tuple[str, ...], ...]
    independent: bool = False


#: Top to bottom: a module imports its own layer (its own group, if the layer is independent) and
#: the layers below it, never one above.
LAYERS: tuple[Layer, ...] = (
    # What Django, gunicorn and Celery start from: settings, the URL root, the apps.
    Layer(
        "entry",
        (
            (
                "tms_gateway.settings",
                "tms_gateway.urls",
                "tms_gateway.wsgi",
                "tms_gateway.asgi",
                "tms_gateway.celery",
            ),
        ),
    ),
    # Parse, authenticate, call services, render, count: Klarna's API, the merchant API, ops
    # (health, metrics, logs), the admin and the portal, the dev tools; and, inside the domain
    # packages, the modules named in INTERFACE_PARTS (Celery tasks, commands, admin, views).
    Layer(
        "interface",
        (
            (
                "tms_gateway.ksa",
                "tms_gateway.api",
                "tms_gateway.ops",
                "tms_gateway.devtools",
                "merchants.admin",
                "merchants.admin_security",
                "merchants.portal",
                "merchants.preview",
            ),
        ),
    ),
    # The reservation's life: reserve, confirm, book, track, reconcile.
    Layer("shipments", (("tms_gateway.shipments",),)),
    # Experiments: define, start, stop; results from the checkout events.
    Layer("experiments", (("tms_gateway.experiments",),)),
    # Building the options (with an experiment variant's changes); reading Klarna's checkout
    # orders.
    Layer(
        "checkout",
        (
            (
                "tms_gateway.checkout",
                "tms_gateway.experiments.assign",
                "tms_gateway.experiments.apply",
                "tms_gateway.experiments.models",
                "tms_gateway.experiments.validation",
                # A returning shopper's choice, applied inside options_build.
                "tms_gateway.shoppers",
            ),
            ("tms_gateway.klarna_checkout",),
            ("tms_gateway.insights",),
        ),
        independent=True,
    ),
    # Who is asking, what they agreed, what they configured.
    Layer("merchants", (("merchants",),)),
    # The carriers (importing nothing of ours above them) and the shared kernel.
    Layer("foundation", (("carriers",), ("tms_gateway.common",)), independent=True),
)

#: A module of a domain package under one of these names belongs to the interface layer.
INTERFACE_PARTS = frozenset(
    {"admin", "apis", "apps", "management", "tasks", "urls", "views", "webhooks"}
)
#: The packages whose modules are all of their own layer, whatever their names.
WHOLE = ("carriers", "tms_gateway.common")


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def layer_of(
    module: str, layers: tuple[Layer, ...] = LAYERS, interface: str = "interface"
) -> tuple[int, int] | None:
    """(layer index, group index) of ``module``; None when no layer names it. The longest
    prefix decides; a domain module named in INTERFACE_PARTS is of the interface layer."""
    best: tuple[int, int, int] | None = None  # (prefix length, layer, group)
    for li, layer in enumerate(layers):
        for gi, group in enumerate(layer.groups):
            for prefix in group:
                if _within(module, prefix) and (best is None or len(prefix) > best[0]):
                    best = (len(prefix), li, gi)
    if best is None:
        return None
    found = (best[1], best[2])
    names = [layer.name for layer in layers]
    if (
        interface in names
        and found[0] > names.index(interface)
        and not any(_within(module, whole) for whole in WHOLE)
        and INTERFACE_PARTS & set(module.split(".")[1:])
    ):
        return (names.index(interface), 0)
    return found


def layer_violations(
    graph: grimp.ImportGraph, layers: tuple[Layer, ...] = LAYERS
) -> list[tuple[str, str]]:
    """(importer, imported) of every direct import that goes up a layer, or across groups of
    an independent layer. Every module has a layer, so no chain of imports can go up either."""
    found = []
    for module in sorted(graph.modules):
        mine = layer_of(module, layers)
        for other in sorted(graph.find_modules_directly_imported_by(module)):
            theirs = layer_of(other, layers)
            if mine is None or theirs is None:
                continue
            up = theirs[0] < mine[0]
            across = theirs[0] == mine[0] and theirs[1] != mine[1] and layers[mine[0]].independent
            if up or across:
                found.append((module, other))
    return found


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


# --- Layers ----------------------------------------------------------------------------------


def test_every_module_has_a_layer() -> None:
    graph = _graph()
    roots = set(PACKAGES)  # the packages' own __init__: nothing imports them by name
    assert sorted(m for m in graph.modules if m not in roots and layer_of(m) is None) == []


def test_the_layer_finder_finds_an_import_up_and_across() -> None:
    # given: top > middle (independent: a, b) > bottom, and a domain module named "tasks"
    layers = (
        Layer("interface", (("p.api",),)),
        Layer("middle", (("p.a",), ("p.b",)), independent=True),
        Layer("bottom", (("p.base",),)),
    )
    graph = grimp.ImportGraph()
    for name in ("p", "p.api", "p.a", "p.a.tasks", "p.b", "p.base", "p.base.x"):
        graph.add_module(name)
    graph.add_import(importer="p.api", imported="p.a")  # down: allowed
    graph.add_import(importer="p.a", imported="p.base.x")  # down: allowed
    graph.add_import(importer="p.a.tasks", imported="p.api")  # an interface module: allowed
    graph.add_import(importer="p.base.x", imported="p.a")  # up
    graph.add_import(importer="p.a", imported="p.b")  # across an independent layer
    graph.add_import(importer="p.a", imported="p.a.tasks")  # down into the interface: up

    assert layer_violations(graph, layers) == [
        ("p.a", "p.a.tasks"),
        ("p.a", "p.b"),
        ("p.base.x", "p.a"),
    ]


def test_no_module_imports_a_layer_above_its_own() -> None:
    assert layer_violations(_graph()) == []


def test_services_and_selectors_count_no_metrics() -> None:
    """Metrics are counted at the interface layer (tasks, views, commands): the domain modules
    import nothing of tms_gateway.ops (the carriers' own calls and cache lookups reach it through
    the CARRIER_TRACE_SINK and CARRIER_CACHE_OBSERVER settings: carriers import nothing above)."""
    graph = _graph()
    interface = [layer.name for layer in LAYERS].index("interface")
    domain = sorted(
        module
        for module in graph.modules
        if any(
            _within(module, p)
            for p in ("tms_gateway.shipments", "tms_gateway.checkout", "merchants")
        )
        and (layer_of(module) or (interface, 0))[0] > interface
    )
    assert (
        "tms_gateway.shipments.services" in domain and "tms_gateway.shipments.tasks" not in domain
    )
    counting = sorted(
        (module, other)
        for module in domain
        for other in graph.find_modules_directly_imported_by(module)
        if _within(other, "tms_gateway.ops")
    )
    assert counting == []


def private_names_imported(sources: dict[str, str]) -> list[tuple[str, str]]:
    """(module, name) of every ``from x import _name`` of a module of ours, lazy ones too
    (dunders are not helpers)."""
    import ast

    found = []
    for module, text in sorted(sources.items()):
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ImportFrom) and (
                node.level or (node.module or "").split(".")[0] in PACKAGES
            ):
                found += [
                    (module, a.name)
                    for a in node.names
                    if a.name.startswith("_") and not a.name.startswith("__")
                ]
    return found


def test_the_private_name_finder_finds_one() -> None:
    sources = {
        "a.x": "from .y import _helper, public\n",
        "a.z": "def f():\n    from tms_gateway.common.money import _private\n",
        "a.w": "from os import _exit\nfrom .y import __version__ as _v\n",
    }
    assert private_names_imported(sources) == [("a.x", "_helper"), ("a.z", "_private")]


def test_no_module_imports_another_ones_private_helpers() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    sources = {
        str(path.relative_to(root)): path.read_text()
        for package in PACKAGES
        for path in (root / package).rglob("*.py")
    }
    assert sorted(set(private_names_imported(sources))) == []
