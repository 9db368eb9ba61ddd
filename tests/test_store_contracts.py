"""Every store implements a typed contract (a ``Base...`` Protocol beside it), as aiogram's
storages implement ``BaseStorage``; mypy checks the signatures, this checks that no store
is left without one and that no contract method is left to its stub."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any

import pytest

import stores

NOT_STORES = {
    "_Counting",
    "CountingConnection",
    "CountingSSLConnection",
    "CountingUnixConnection",
    "QuickPool",
    "QuickRedis",
    "QuickPipeline",
    "EmbeddedRedis",
    "StoreClient",
    "AutoPipeline",
    "JoiningPipeline",
    "WaitingCluster",
    "_WaitingPipeline",
    "ProfileRecords",
}
"""The client the stores share (or the embedded one), its connections, their pool and its
pipelines, the pipelines concurrent callers share (and join) and its cluster client with that
client's pipelines, and the half of ProfileStore that stitching completes."""


def _store_classes() -> list[type[Any]]:
    found = []
    for module_info in pkgutil.iter_modules(stores.__path__):
        module = importlib.import_module(f"stores.{module_info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__ or getattr(cls, "_is_protocol", False):
                continue
            public = [getattr(cls, name) for name in dir(cls) if not name.startswith("_")]
            if any(inspect.iscoroutinefunction(member) for member in public):
                found.append(cls)
    return sorted(found, key=lambda cls: cls.__name__)


def _contracts(cls: type[Any]) -> list[type[Any]]:
    return [
        base
        for base in cls.__mro__
        if getattr(base, "_is_protocol", False) and base.__name__.startswith("Base")
    ]


STORES = [cls for cls in _store_classes() if cls.__name__ not in NOT_STORES]


def test_the_stores_are_found() -> None:
    names = {cls.__name__ for cls in STORES}
    assert {"AudienceReader", "ConversationStore", "ProfileStore", "SharedRate"} <= names


@pytest.mark.parametrize("cls", STORES, ids=lambda cls: cls.__name__)
def test_every_store_implements_a_contract(cls: type[Any]) -> None:
    contracts = _contracts(cls)
    assert contracts, f"{cls.__name__} has no Base... contract"
    for contract in contracts:
        for name in vars(contract):
            if name.startswith("_") or not callable(getattr(contract, name)):
                continue
            stub = getattr(contract, name)
            assert inspect.getdoc(stub), f"{contract.__name__}.{name} says nothing"
            assert getattr(cls, name) is not stub, f"{cls.__name__} leaves {name} to its stub"
