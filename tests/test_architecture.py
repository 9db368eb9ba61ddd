"""The import contracts CI enforces (``lint-imports``), and that the circle check finds
circles: a contract that cannot fail would guard nothing."""

from __future__ import annotations

import grimp

from tests.import_contracts import NoCyclesContract, strongly_connected


def contract() -> NoCyclesContract:
    return NoCyclesContract("no circles", {}, {"packages": ["app"]})


def graph(*imports: tuple[str, str]) -> grimp.ImportGraph:
    found = grimp.ImportGraph()
    for importer, imported in imports:
        found.add_import(importer=importer, imported=imported)
    return found


def test_a_circle_between_modules_of_two_rooms_breaks_the_contract() -> None:
    found = graph(
        ("app.team.desk", "app.handlers.commands"),
        ("app.handlers.commands", "app.handlers.team"),
        ("app.handlers.team", "app.team.desk"),
        ("app.runtime", "app.team.desk"),
    )
    check = contract().check(found, verbose=False)
    assert not check.kept
    assert check.metadata["circles"] == [
        ["app.handlers.commands", "app.handlers.team", "app.team.desk"]
    ]


def test_imports_in_one_direction_keep_the_contract() -> None:
    found = graph(("app.runtime", "app.team.desk"), ("app.team.desk", "app.model"))
    assert contract().check(found, verbose=False).kept


def test_packages_outside_the_contract_are_not_searched() -> None:
    found = graph(("other.a", "other.b"), ("other.b", "other.a"), ("app.a", "other.a"))
    assert contract().check(found, verbose=False).kept


def test_every_component_is_found_once() -> None:
    edges = {"a": ["b"], "b": ["a", "c"], "c": ["d"], "d": ["c"], "e": []}
    components = sorted(sorted(c) for c in strongly_connected(edges))
    assert components == [["a", "b"], ["c", "d"], ["e"]]
