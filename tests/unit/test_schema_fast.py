"""schema/fast.py: its quick "valid" is only ever given where jsonschema finds no error, so validation's
diagnostics (which come from jsonschema alone) cannot change; and it is given for valid documents."""

from __future__ import annotations

import copy
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.schema import fast
from compiler.schema import kserve as kserve_schema
from compiler.sources.parse import load_text
from compiler.validate.documents import prune_nulls

REPO = Path(__file__).resolve().parents[2]


def _kserve_documents() -> list[dict]:
    """Every KServe document of the examples, the golden inputs and the hostile corpus, nulls pruned as
    validate_document prunes them before validating."""
    found = []
    for root in ("examples", "tests/golden", "tests/hostile", "catalog"):
        for path in sorted((REPO / root).rglob("*.y*ml")):
            try:
                docs = load_text(path.read_text(encoding="utf-8"), str(path)).documents
            except (UnicodeDecodeError, ValueError):
                continue
            for doc in docs:
                data = doc.data
                if isinstance(data, dict) and isinstance(data.get("apiVersion"), str) and \
                        isinstance(data.get("kind"), str) and \
                        kserve_schema.validator_for(data["apiVersion"], data["kind"]) is not None:
                    prune_nulls(data)
                    found.append(data)
    return found


DOCUMENTS = _kserve_documents()


def _agrees(data: dict, like: dict) -> bool:
    validator = kserve_schema.validator_for(like["apiVersion"], like["kind"])  # the original's: edits may break these
    return not fast.known_valid(validator, data) or not list(validator.iter_errors(data))


def test_the_corpus_is_large_enough_to_mean_something():
    assert len(DOCUMENTS) > 100


def test_every_valid_document_of_the_corpus_is_known_valid_and_no_invalid_one_is():
    for data in DOCUMENTS:
        validator = kserve_schema.validator_for(data["apiVersion"], data["kind"])
        errors = list(validator.iter_errors(data))
        assert fast.known_valid(validator, data) == (not errors), (data.get("metadata"), errors[:1])


VALUES = st.sampled_from([None, True, False, 0, 1, -1, 70000, 1.5, 1.0, float("nan"), "", "x", "TCP", "UDP",
                          "100m", "Always", "v1", "v2", "grpc-v2", "-bad-", "a" * 300, [], {}, ["a"], [1],
                          {"a": 1}, {"name": "a"}, [{"name": "a"}, {"name": "a"}],
                          [{"containerPort": 80}, {"containerPort": 80, "protocol": "TCP"}]])


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(range(len(DOCUMENTS))), st.lists(st.tuples(st.lists(st.integers(0, 50), max_size=9),
                                                                 st.integers(0, 3), VALUES), min_size=1, max_size=3))
def test_a_mutated_document_is_known_valid_only_when_jsonschema_agrees(index, edits):
    data = copy.deepcopy(DOCUMENTS[index])
    for steps, action, value in edits:
        parent, key, node = None, None, data
        for step in steps:  # walk down: each step picks a child by position
            children = list(node) if isinstance(node, dict) else list(range(len(node))) \
                if isinstance(node, list) else []
            if not children:
                break
            parent, key = node, children[step % len(children)]
            node = node[key]
        if parent is None:
            continue
        if action == 0:
            parent[key] = value
        elif action == 1 and isinstance(parent, dict):
            parent[f"{key}x"] = parent.pop(key)
        elif action == 2 and isinstance(parent, dict):
            del parent[key]
        elif isinstance(parent, list):
            parent.append(copy.deepcopy(parent[key]))
        else:
            parent[key] = value
    assert _agrees(data, DOCUMENTS[index])
