"""The result classes against the core's generated schema (``schema/meshlock.schema.json``, read
in place): a field or an enum value added, removed or renamed in a Rust result without the Python
class following it fails here. And the one converter that reads every class: what it reads, it
gives back."""

from __future__ import annotations

import dataclasses
import json
from enum import Enum
from typing import Any, Dict, List, Set, Tuple

import pytest

import meshlock
from meshlock._types import _Result
from paths import REPO, SEED, TELEMETRY

SCHEMA: Dict[str, Any] = json.loads((REPO / "schema" / "meshlock.schema.json").read_text(encoding="utf-8"))["definitions"]

# The Python classes whose name is not the core's.
CORE_NAME = {"Client": "ClientInfo", "ServicePort": "ServicePortInfo", "Settings": "ResolvedSettings"}

RESULTS = [c for c in (getattr(meshlock, n) for n in meshlock.__all__) if isinstance(c, type) and issubclass(c, _Result)]
ENUMS = [c for c in (getattr(meshlock, n) for n in meshlock.__all__) if isinstance(c, type) and issubclass(c, Enum)]


def definition(cls: type) -> Dict[str, Any]:
    name = CORE_NAME.get(cls.__name__, cls.__name__)
    assert name in SCHEMA, f"{cls.__name__}: the schema has no `{name}`"
    found: Dict[str, Any] = SCHEMA[name]
    return found


def properties(schema: Dict[str, Any]) -> Tuple[Set[str], Set[str]]:
    """The properties of an object, and those it requires; of a tagged enum (``oneOf`` objects,
    ``Goal``) the properties of any variant, and those every variant requires."""
    variants: List[Dict[str, Any]] = schema.get("oneOf", [schema])
    names = set().union(*(v.get("properties", {}) for v in variants))
    required = set.intersection(*(set(v.get("required", [])) for v in variants))
    return names, required


@pytest.mark.parametrize("cls", RESULTS, ids=lambda c: c.__name__)
def test_fields_are_the_schemas_properties(cls: type) -> None:
    names, required = properties(definition(cls))
    # Renderings (`text`, `table`, `csv`, `sarif`) travel beside a result: not in its schema.
    own = {f.metadata.get("key", f.name): f for f in dataclasses.fields(cls) if f.metadata.get("dict", True)}
    assert set(own) == names, f"{cls.__name__}: only in Python {set(own) - names}, only in the core {names - set(own)}"
    without_default = {k for k, f in own.items() if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}
    assert without_default <= required, f"{cls.__name__}: the core may leave out {without_default - required}"


@pytest.mark.parametrize("kind", ENUMS, ids=lambda c: c.__name__)
def test_enum_members_are_the_schemas_values(kind: type) -> None:
    schema = definition(kind)
    values = schema.get("enum") or [v["const"] for v in schema["oneOf"]]
    assert [m.value for m in kind] == values  # type: ignore[attr-defined]


def test_every_result_reads_back_what_it_gives_and_hashes(seed: meshlock.Mesh) -> None:
    policy = (SEED / "step3-policy.yaml").read_text(encoding="utf-8")
    strict = seed.apply(policy)
    results: List[Any] = [
        seed.probe("legacy/sleep", "httpbin.foo:8000"),
        strict.matrix(),
        strict.namespace_map(),
        strict.stages(),
        seed.plan(),
        strict.check(),
        seed.check(edges="possible"),
        meshlock.diff(seed, strict),
        meshlock.diff(seed, strict, edges="possible"),
        seed.simulate([policy])[0],
        seed.ready(TELEMETRY / "seed-step2.json"),
        meshlock.tour(),
    ]
    assert results[6].scope is not None and results[8].scope is not None
    for result in results:
        assert type(result)._from(json.loads(result.to_json())) == result
        hash(result)  # frozen all the way down, `scope` reports too


def test_an_answer_without_a_required_key_is_an_internal_error() -> None:
    with pytest.raises(meshlock.MeshlockError) as info:
        meshlock.EdgeRef._from({"from": "a/b"})
    assert info.value.code == "internal" and "`to`" in str(info.value)
