"""The block-YAML writer (compiler/emit/block.py, issue 17) against libyaml and three readers.

For generated plain data (str, int, bool, None, list, dict), with strings drawn to be awkward (YAML 1.1
and Go look-alikes, indicators, spaces at the ends, line breaks, control and non-ASCII characters):

- `dump` writes exactly the bytes of the libyaml path it replaced, whether the writer or the fallback
  wrote them (and the writer itself, where it takes the data, matches byte for byte);
- the text reads back as the same data with PyYAML's C loader and with ruamel.yaml (YAML 1.2);
- every string written as a plain scalar is one that no Go YAML reader (yaml.v2 and sigs.k8s.io/yaml,
  yaml.v3) nor a YAML 1.1 reader would take for a bool, null, number or timestamp (`_misread` models them).

KSC_PROPERTY_EXAMPLES=N multiplies the example counts for a longer local run.
"""

from __future__ import annotations

import io
import os
import re

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from compiler.emit import dump as emit_dump
from compiler.emit.block import BlockWriter, Unsupported

SCALE = max(1, int(os.environ.get("KSC_PROPERTY_EXAMPLES", "1")))
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
                print_blob=True)

# Strings a reader may take for something else when written plain.
MISREAD = [
    "y", "Y", "n", "N", "yes", "Yes", "YES", "no", "NO", "on", "On", "ON", "off", "OFF", "true", "False",
    "null", "Null", "NULL", "~", "", "0", "-1", "+1", "012", "0o17", "0O17", "0x1F", "0b101", "1_000",
    "1e3", "1E+3", ".5", "-.5e3", "1.", "+.inf", ".NaN", "-.Inf", "1:20", "190:20:30.15", "2001-12-14",
    "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5", "=", "<<", "0.", "1_0.5", "0x_1F", "-_", "._", "0x_", "+1_", "._5", "._0E-0",
]
AWKWARD = [
    " lead", "trail ", " ", "a: b", "a:", "#c", "a #c", "- x", "-", "?", "? x", ":", "[x]", "{x}", "x,y",
    "&a", "*a", "!x", "|", ">", "'q'", '"q"', "%x", "@x", "`x", "---", "...", "--- x", "a\tb", "tab\t",
    "a\nb", "a\n", "\n", "a\n\n", "  a\nb", "a \nb", "a\x85b", "a\u2028b", "\x00", "\x7f", "\ufeff", "é",
    "日本", "😀", "a" * 129, "s3://bucket/path", "hf://org/model:rev", "kserve/sklearnserver:v0.14.0",
    "/mnt/models", "app.kubernetes.io/name", "http://x:8080/a?b=c", "a:b:", "a::b", "a/b@sha256:ff",
]
_plain_like = st.from_regex(r"[A-Za-z0-9/._@:+=~-]{1,12}", fullmatch=True)
_number_like = st.from_regex(r"[-+]?[0-9_.]{1,8}([eE][-+]?[0-9]{1,2})?|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}", fullmatch=True)
_odd_chars = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8)
strings = st.one_of(st.sampled_from(MISREAD + AWKWARD), _plain_like, _number_like, _odd_chars)
leaves = st.one_of(strings, st.integers(-(2 ** 63), 2 ** 63), st.booleans(), st.none())
data = st.recursive(leaves, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                    st.dictionaries(strings, inner, max_size=4)), max_leaves=30)
documents = st.dictionaries(strings, data, max_size=6)


def _ruamel_load(text: str):
    return YAML(typ="safe", pure=True).load(io.StringIO(text))


_GO_NUMBER = re.compile(r"[-+]?(0[xX][0-9a-fA-F]+|0[oO]?[0-7]+|0[bB][01]+"  # ints, any base
                        r"|(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)")  # floats (and decimal ints)
# YAML 1.1 base 60: an int starts 1-9 (`0:0` stays a string), a float may start 0 but needs its dot
_SEXAGESIMAL = re.compile(r"[-+]?([1-9][0-9_]*(:[0-5]?[0-9])+|[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*)")
# YAML 1.1 timestamps as PyYAML and ruamel.yaml read them. yaml.v2 also reads `2001-1-2`, but decoding into
# interface{} (sigs.k8s.io/yaml's path to JSON) it keeps timestamp look-alikes as the string written.
_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt]|[ \t]+)[0-9]{1,2}:.*")
_SPECIAL = re.compile(r"[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)")
# YAML 1.1's bool and null words are read in three spellings only (lower, Capitalised, UPPER: the spec's
# regexps, yaml.v2's resolve table); `oN` or `nULL` is a string to every reader.
_WORDS = {form for word in ("y", "n", "yes", "no", "true", "false", "on", "off", "null")
          for form in (word, word.capitalize(), word.upper())} | {"~", ""}


def _misread(text: str) -> bool:
    """Could a YAML 1.1 reader (PyYAML, yaml.v2, sigs.k8s.io/yaml) or yaml.v3 read this plain scalar as
    anything but this string? A generous model: it flags more than the readers do, never less."""
    stripped = text.replace("_", "")
    return (text in _WORDS or text in ("=", "<<") or _SPECIAL.fullmatch(text) is not None
            or (text[:1] in "0123456789+-." and _GO_NUMBER.fullmatch(stripped) is not None)
            or _SEXAGESIMAL.fullmatch(text) is not None or _TIMESTAMP.fullmatch(text) is not None
            or text != text.strip(" \t"))


def _plain_strings(value, node: yaml.Node, found: list[str]) -> None:
    """Every str of `value` that `node` (its composed YAML) holds as a plain scalar, keys included."""
    if isinstance(value, dict):
        for (key_node, value_node), (key, item) in zip(node.value, value.items()):
            _plain_strings(key, key_node, found)
            _plain_strings(item, value_node, found)
    elif isinstance(value, list):
        for item_node, item in zip(node.value, value):
            _plain_strings(item, item_node, found)
    elif isinstance(value, str) and node.style in (None, ""):
        found.append(value)


@settings(max_examples=300 * SCALE, **SETTINGS)
@given(documents)
@example({"k": "yes", "n": None, "l": [], "m": {}, "s": [{"a": [1, [True, {}]]}, [["x"]]]})
@example({"a" * 129: 1, "b": "a\nb"})
@example({"y": "oN", "Y": "NULL", "z": "nULL"})  # found by CI: a mixed-case word is a string to every reader
def test_dump_is_libyaml_byte_for_byte_and_reads_back(doc):
    expected = emit_dump._libyaml(doc)
    text = emit_dump.dump(doc)
    assert text == expected
    assert yaml.load(text, Loader=yaml.CSafeLoader) == doc
    assert _ruamel_load(text) == doc
    found: list[str] = []
    _plain_strings(doc, yaml.compose(text, Loader=yaml.CSafeLoader), found)
    assert [s for s in found if _misread(s)] == []


@settings(max_examples=300 * SCALE, **SETTINGS)
@given(documents)
def test_the_writer_matches_libyaml_wherever_it_writes(doc):
    writer = BlockWriter(emit_dump._probe)
    try:
        text = writer.write(doc)
    except Unsupported:
        return
    assert text == emit_dump._libyaml(doc)


@pytest.mark.parametrize("value", MISREAD)
def test_every_look_alike_is_quoted(value):
    text = emit_dump.dump({"k": value, value: "v"})
    assert text.count("'") + text.count('"') >= 4, text  # the value and the key, each in quotes
    assert yaml.load(text, Loader=yaml.CSafeLoader) == {"k": value, value: "v"}


@pytest.mark.parametrize("value", ["a\nb", 1.5, "a" * 129])
def test_what_the_writer_leaves_to_libyaml_still_dumps(value):
    writer = BlockWriter(emit_dump._probe)
    doc = {"k": value} if value != "a" * 129 else {value: 1}
    with pytest.raises(Unsupported):
        writer.write(doc)
    assert emit_dump.dump(doc) == emit_dump._libyaml(doc)
