"""The quick check of emitted objects (check.py's `_quick`: schema/fast.py over Kubernetes' schemas with their
`$ref`s inlined) is one-sided: whenever it says an object is valid, jsonschema finds no error in it. Tried on
every object the golden cases emit, then on random damage to them: a value replaced (by a string, a whole
or fractional number, a float that is a whole number, a bool, null, a map, a list), a key removed, an
unknown key added. And it must be worth having: every golden object passes it."""

from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler import check as check_mod
from compiler.schema import bundle
from compiler.schema import kubernetes as k8s_schema
from conftest import tree_paths

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
VERSION = bundle.kubernetes_version(None)
EXAMPLES = 300 * int(os.environ.get("KSC_PROPERTY_EXAMPLES", "1"))


def _emitted() -> list[dict]:
    found = []
    for path in sorted(GOLDEN.glob("*/expected/**/*.yaml")):
        obj = yaml.safe_load(path.read_text())
        if isinstance(obj, dict) and (obj.get("apiVersion"), obj.get("kind")) in check_mod.EMITTED:
            found.append(obj)
    return found


OBJECTS = _emitted()


def _verdicts(obj: dict) -> tuple[bool, list]:
    api_version, kind = obj["apiVersion"], obj["kind"]
    validator = k8s_schema.kubernetes_validator(VERSION, api_version, kind)
    return check_mod._quick(VERSION, api_version, kind)(obj), list(validator.iter_errors(obj))


def test_every_object_the_golden_cases_emit_passes_the_quick_check():
    assert len({(o["apiVersion"], o["kind"]) for o in OBJECTS}) == len(check_mod.EMITTED)
    for obj in OBJECTS:
        quick, errors = _verdicts(obj)
        assert errors == [] and quick, (obj["kind"], obj["metadata"]["name"])


VALUES = st.one_of(st.text(max_size=4), st.integers(-3, 3), st.floats(-2, 2, allow_nan=False), st.just(1.0),
                   st.booleans(), st.none(), st.just({}), st.just([]), st.just({"zz": 1}), st.just(["a"]),
                   st.just([{"name": "a"}]))


@settings(max_examples=EXAMPLES, deadline=None)
@given(data=st.data())
def test_the_quick_check_never_passes_what_jsonschema_refuses(data):
    obj = copy.deepcopy(data.draw(st.sampled_from(OBJECTS)))
    for _ in range(data.draw(st.integers(1, 3))):
        where = data.draw(st.sampled_from([p for p in tree_paths(obj) if p]))
        parent = obj
        for part in where[:-1]:
            parent = parent[part]
        how = data.draw(st.sampled_from(["replace", "remove", "add"]))
        if how == "remove" and isinstance(parent, dict):
            del parent[where[-1]]
        elif how == "add" and isinstance(parent[where[-1]], dict):
            parent[where[-1]][data.draw(st.sampled_from(["zz", "name", "type", "port"]))] = copy.deepcopy(data.draw(VALUES))
        else:
            parent[where[-1]] = copy.deepcopy(data.draw(VALUES))
    if not isinstance(obj.get("apiVersion"), str) or (obj.get("apiVersion"), obj.get("kind")) not in check_mod.EMITTED:
        return  # another kind now: check() would look up another validator
    quick, errors = _verdicts(obj)
    if quick:
        assert errors == [], [e.message for e in errors]


@pytest.mark.parametrize("value, valid", [("1", True), (1, True), (1.5, True), (None, False), (True, False)])
def test_a_quantity_is_a_string_or_a_number_never_null(value, valid):
    obj = copy.deepcopy(next(o for o in OBJECTS if o["kind"] == "Deployment"))
    obj["spec"]["template"]["spec"]["containers"][0]["resources"] = {"limits": {"cpu": value}}
    quick, errors = _verdicts(obj)
    assert (errors == []) is valid and quick is valid
