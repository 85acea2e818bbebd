"""fragment.py: the hand-written YAML of a hint is the pure-Python emitter's, byte for byte."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from compiler import fragment

# Keys and scalars that go plain, and ones the emitter quotes, folds, flows or writes over lines.
KEYS = st.sampled_from(["name", "storageUri", "env", "value", "cpu", "k:v", "/p", "x.y", "on", "Null", "1", "",
                        "a b", "-x", "é", "a" * 130, "a\u2028", "?x"])
SCALARS = st.one_of(
    st.sampled_from([None, True, False, 0, 1, -5, 1.5, 1e20, float("inf"), "", "1", "24Gi", "500m", "gs://a/b",
                     "a: b", "a #b", "- x", "yes", "No", "~", "null", "y", "x\ny", "x\n", " lead", "trail ", "é",
                     "'q'", '"q"', "a" * 300, "a " * 300, "1.0", "0x1f", "12:30", "2024-01-01", "=", "<<", "@x",
                     "!x", "*x", "a,b", "[x]", "{x}", "v1", "/mnt/models", "http://x:80/p", "a\tb", "\x85",
                     "\u2028", "\ufeff", "\U0001F600"]),
    st.text(max_size=12), st.integers())


def _values(depth: int = 3):
    children = st.deferred(lambda: _values(depth - 1)) if depth else SCALARS
    return st.one_of(SCALARS, st.dictionaries(KEYS, children, max_size=4), st.lists(children, max_size=3))


@settings(max_examples=1500, deadline=None)
@given(st.dictionaries(KEYS, _values(), min_size=1, max_size=4))
def test_the_fragment_is_the_emitters_text(value):
    assert fragment.yaml_fragment(value) == fragment._emitted(value)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["name", "env", "args", "storageUri"]),
                       _values(2).filter(lambda v: v not in ({}, [])), min_size=1, max_size=4))
def test_plain_shapes_take_the_hand_written_path_and_agree(value):
    assert fragment.yaml_fragment(value) == fragment._emitted(value)


def test_a_container_met_twice_is_left_to_the_emitter_which_writes_an_alias():
    shared = {"name": "A", "value": "1"}
    text = fragment.yaml_fragment({"env": [shared, shared]})
    assert "&id001" in text and text == fragment._emitted({"env": [shared, shared]})


def test_a_legacy_hint_reads_as_kubernetes_yaml():
    model = {"modelFormat": {"name": "sklearn"}, "storageUri": "gs://bucket/iris", "env": [{"name": "A", "value": "1"}],
             "resources": {"limits": {"cpu": "1", "memory": "2Gi"}}}
    assert fragment.yaml_fragment({"predictor": {"model": model}}) == (
        "predictor:\n  model:\n    modelFormat:\n      name: sklearn\n    storageUri: gs://bucket/iris\n"
        "    env:\n      - name: A\n        value: '1'\n    resources:\n      limits:\n        cpu: '1'\n"
        "        memory: 2Gi")
