"""An import-linter contract of our own: no import circles among the modules of the given
packages, at any depth (imports inside functions count too). import-linter's own
contracts check layers and siblings; a circle between two modules of different rooms
(bot.team.desk -> handlers.commands -> bot.team.desk) slips between them."""

from __future__ import annotations

import grimp
from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck


class NoCyclesContract(Contract):
    """``type = no_cycles``; ``packages`` lists the root packages to search."""

    type_name = "no_cycles"
    packages = fields.ListField(subfield=fields.StringField())

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        roots = set(self.packages)  # type: ignore[arg-type]
        modules = sorted(m for m in graph.modules if m.split(".", 1)[0] in roots)
        edges = {
            module: sorted(
                other
                for other in graph.find_modules_directly_imported_by(module)
                if other.split(".", 1)[0] in roots
            )
            for module in modules
        }
        circles = [sorted(c) for c in strongly_connected(edges) if len(c) > 1]
        return ContractCheck(kept=not circles, metadata={"circles": circles})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for circle in check.metadata["circles"]:
            output.print_error(f"These modules import each other in a circle: {', '.join(circle)}")
            output.new_line()


def strongly_connected(edges: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components, without recursion."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    for start in edges:
        if start in index:
            continue
        work = [(start, iter(edges.get(start, ())))]
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
                    work.append((child, iter(edges.get(child, ()))))
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
                found.append(component)
    return found
