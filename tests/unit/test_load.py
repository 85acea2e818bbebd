"""sources/ (walk.py, parse.py): positions (1-based), documents, stdin, the folder walk and its skips, and the YAML 1.1 rules
Kubernetes reads with (docs/design.md Decisions 1 and 8)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from compiler.diagnostics import Severity, UsageError
from compiler.settings import Limits
from compiler.sources.parse import (
    BAD_KEY, DUPLICATE_KEY, NOT_A_MAPPING, NOT_AN_OBJECT, SYNTAX, TOO_DEEP, TOO_LARGE, TOO_MANY_DOCUMENTS,
    TOO_MANY_NODES, UNDECODABLE, UNSUPPORTED_TAG, load, load_text, parse)
from compiler.sources.walk import SKIPPED, SYMLINK_ESCAPE, UNREADABLE, SourceFile, collect

CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: a
data:
  key: value
"""


def codes(loaded) -> list[tuple]:
    return [(d.code, d.line, d.column) for d in loaded.diagnostics]


def walk(*sources: str, excludes: tuple[str, ...] = (), skip: tuple[Path, ...] = ()) -> list[str]:
    files, diags = collect(list(sources), excludes=excludes, skip=skip)
    assert [d.code for d in diags if d.code != "KSC122"] == []  # KSC122: kustomization files named once
    return [f.display for f in files]


# ---------------------------------------------------------------------------------------------------
# Positions


def test_positions_of_keys_and_values_are_one_based():
    doc = load_text(CONFIGMAP, "cm.yaml").documents[0]
    assert doc.positions.of_value(()) == (1, 1)
    assert doc.positions.of_key(("apiVersion",)) == (1, 1)
    assert doc.positions.of_value(("apiVersion",)) == (1, 13)
    assert doc.positions.of_key(("metadata", "name")) == (4, 3)
    assert doc.positions.of_value(("metadata", "name")) == (4, 9)
    assert doc.positions.of_key(("data", "key")) == (6, 3)
    assert doc.positions.of_value(("data", "key")) == (6, 8)


def test_positions_of_sequence_items_and_flow_values():
    doc = load_text("""\
apiVersion: v1
kind: Pod
spec:
  containers:
    - name: a
      args: [x, "y"]
""").documents[0]
    assert doc.positions.of_value(("spec", "containers", 0)) == (5, 7)
    assert doc.positions.of_key(("spec", "containers", 0, "name")) == (5, 7)
    assert doc.positions.of_value(("spec", "containers", 0, "args", 1)) == (6, 17)


def test_position_of_a_missing_path_falls_back_to_the_nearest_parent():
    doc = load_text(CONFIGMAP).documents[0]
    assert doc.positions.of_key(("data", "absent", "deeper")) == (5, 1)  # the key data:
    assert doc.positions.of_value(("data", "absent")) == (6, 3)  # the mapping data: holds
    assert doc.positions.of_value(("nothing",)) == (1, 1)


def test_where_places_a_diagnostic_at_a_field():
    doc = load_text(CONFIGMAP, "cm.yaml").documents[0]
    where = doc.where(("metadata", "name"))
    assert (where["file"], where["line"], where["column"], where["field"]) == ("cm.yaml", 4, 3, "metadata.name")
    assert where["object"].kind == "ConfigMap" and where["object"].name == "a"


# ---------------------------------------------------------------------------------------------------
# Documents


def test_multi_document_file_keeps_index_and_positions():
    text = "---\n" + CONFIGMAP + "---\n" + CONFIGMAP.replace("name: a", "name: b") + "...\n---\n" \
        + CONFIGMAP.replace("name: a", "name: c")
    loaded = load_text(text, "many.yaml")
    assert loaded.diagnostics == []
    assert [(d.name, d.index, d.positions.of_value(())[0]) for d in loaded.documents] == [
        ("a", 0, 2), ("b", 1, 9), ("c", 2, 17)]
    assert all(d.file == "many.yaml" for d in loaded.documents)


def test_files_without_documents_are_fine():
    assert codes(load_text("")) == []
    assert codes(load_text("# only a comment\n")) == []


EMPTY_DOCUMENTS = {
    "trailing-separator": CONFIGMAP + "---\n",
    "trailing-separator-and-comment": CONFIGMAP + "---\n# the end\n",
    "double-separator": CONFIGMAP + "---\n---\n" + CONFIGMAP.replace("name: a", "name: b"),
    "leading-double-separator": "---\n---\n" + CONFIGMAP,
}


@pytest.mark.parametrize("text", EMPTY_DOCUMENTS.values(), ids=EMPTY_DOCUMENTS.keys())
def test_empty_documents_are_skipped(text):
    loaded = load_text(text, "f.yaml")
    assert codes(loaded) == []
    assert loaded.documents


def test_byte_order_mark_is_accepted():
    loaded = parse(b"\xef\xbb\xbf" + CONFIGMAP.encode(), SourceFile(None, "bom.yaml", "bom.yaml", True))
    assert loaded.diagnostics == []
    assert loaded.documents[0].name == "a"


def test_stdin_is_read_from_the_given_bytes():
    files, diags = collect(["-"])
    assert diags == []
    assert [(f.path, f.display, f.source, f.named) for f in files] == [(None, "-", "-", True)]
    loaded = load(files, stdin=CONFIGMAP.encode())
    assert [(d.file, d.source, d.name, d.named) for d in loaded.documents] == [("-", "-", "a", True)]


def test_stdin_with_an_error_reports_file_dash():
    loaded = load(collect(["-"])[0], stdin=b"apiVersion: v1\nkind: ConfigMap\nkind: Secret\n")
    assert [(d.file, d.code, d.line) for d in loaded.diagnostics] == [("-", DUPLICATE_KEY, 3)]


def test_missing_source_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        collect([str(tmp_path / "nope")])


# ---------------------------------------------------------------------------------------------------
# YAML 1.1 as Kubernetes reads it


def test_yaml_11_booleans():
    data = load_text("""\
apiVersion: v1
kind: X
a: yes
b: no
c: on
d: off
e: True
f: "yes"
g: 'on'
""").documents[0].data
    assert (data["a"], data["b"], data["c"], data["d"], data["e"]) == (True, False, True, False, True)
    assert (data["f"], data["g"]) == ("yes", "on")


def test_timestamps_and_binary_stay_strings():
    data = load_text("""\
apiVersion: v1
kind: X
date: 2024-01-31
time: 2024-01-31T10:00:00Z
spaced: 2001-12-14 21:59:43.10 -5
blob: !!binary aGVsbG8=
""").documents[0].data
    assert data["date"] == "2024-01-31"
    assert data["time"] == "2024-01-31T10:00:00Z"
    assert data["spaced"] == "2001-12-14 21:59:43.10 -5"
    assert data["blob"] == "aGVsbG8="


def test_numbers_nulls_and_keys():
    data = load_text("""\
apiVersion: v1
kind: X
int: 8080
float: 0.5
null1: ~
null2:
quoted: "8080"
1: numeric key
""").documents[0].data
    assert (data["int"], data["float"], data["null1"], data["null2"], data["quoted"]) == (8080, 0.5, None, None, "8080")
    assert data["1"] == "numeric key"  # keys are strings, as sigs.k8s.io/yaml makes them


def test_merge_keys():
    loaded = load_text("""\
apiVersion: v1
kind: X
base: &base {a: 1, b: 2}
extra: &extra {c: 3}
one:
  <<: *base
  b: 20
many:
  <<: [*base, *extra]
  a: 10
""")
    assert loaded.diagnostics == []
    data = loaded.documents[0].data
    assert data["one"] == {"a": 1, "b": 20}
    assert data["many"] == {"a": 10, "b": 2, "c": 3}
    assert "<<" not in data["one"]


def test_merge_key_position_points_at_the_merged_source():
    doc = load_text("""\
apiVersion: v1
kind: X
base: &base {a: 1}
one:
  <<: *base
  b: 2
""").documents[0]
    assert doc.positions.of_key(("one", "a")) == (3, 14)
    assert doc.positions.of_key(("one", "b")) == (6, 3)


def test_explicit_key_after_merge_keeps_its_own_position():
    doc = load_text("""\
apiVersion: v1
kind: X
base: &base {a: 1}
one:
  a: 2
  <<: *base
""").documents[0]
    assert doc.data["one"] == {"a": 2}
    assert doc.positions.of_key(("one", "a")) == (5, 3)
    assert doc.positions.of_value(("one", "a")) == (5, 6)


def test_merge_of_a_scalar_is_an_error():
    loaded = load_text("apiVersion: v1\nkind: X\none:\n  <<: 3\n")
    assert codes(loaded) == [(BAD_KEY, 4, 7)]


# ---------------------------------------------------------------------------------------------------
# Bad input becomes Diagnostics


@pytest.mark.parametrize("text, expected", [
    ("apiVersion: v1\nkind: X\nmetadata: {name: a\n", (SYNTAX, 4, 1)),
    ("apiVersion: v1\nkind: X\nmetadata:\n  name: a\n  name: b\n", (DUPLICATE_KEY, 5, 3)),
    ("apiVersion: v1\nkind: X\nmetadata:\n\tname: a\n", (SYNTAX, 4, 1)),
    ("- a\n- b\n", (NOT_A_MAPPING, 1, 1)),
    ("just text\n", (NOT_A_MAPPING, 1, 1)),
    ("kind: X\nmetadata: {name: a}\n", (NOT_AN_OBJECT, 1, 1)),
    ("apiVersion: v1\nmetadata: {name: a}\n", (NOT_AN_OBJECT, 1, 1)),
    ("apiVersion: v1\nkind: 3\n", (NOT_AN_OBJECT, 1, 1)),
    ("apiVersion: v1\nkind: X\ndata: !!python/object {a: 1}\n", (UNSUPPORTED_TAG, 3, 7)),
    ("apiVersion: v1\nkind: X\ndata: !custom x\n", (UNSUPPORTED_TAG, 3, 7)),
    ("apiVersion: v1\nkind: X\n? [a]\n: 1\n", (BAD_KEY, 3, 3)),
    ("apiVersion: v1\nkind: X\ndata: \"a\x07\"\n", (SYNTAX, 3, 9)),
], ids=["syntax", "duplicate-key", "tab", "list", "scalar", "no-apiversion", "no-kind", "kind-not-string",
        "python-tag", "custom-tag", "complex-key", "control-character"])
def test_bad_input_is_one_error(text, expected):
    loaded = load_text(text, "bad.yaml")
    assert codes(loaded) == [expected]
    assert loaded.diagnostics[0].severity is Severity.ERROR
    assert loaded.diagnostics[0].file == "bad.yaml"
    assert loaded.documents == []


def test_tab_error_hints_at_spaces():
    loaded = load_text("apiVersion: v1\nkind: X\ndata:\n  a: b\n\tc: d\n")
    assert codes(loaded) == [(SYNTAX, 5, 1)]
    assert "tab" in loaded.diagnostics[0].hint


def test_duplicate_key_names_the_first():
    loaded = load_text("apiVersion: v1\nkind: X\nkind: Y\n")
    assert "first at line 2" in loaded.diagnostics[0].message


def test_an_error_in_one_document_keeps_the_others():
    loaded = load_text(CONFIGMAP + "---\napiVersion: v1\nkind: X\nkind: Y\n---\n"
                       + CONFIGMAP.replace("name: a", "name: c"))
    assert codes(loaded) == [(DUPLICATE_KEY, 10, 1)]
    assert loaded.diagnostics[0].index == 1
    assert [d.name for d in loaded.documents] == ["a", "c"]


def test_undecodable_bytes_point_at_the_byte():
    loaded = parse(b"apiVersion: v1\nkind: X\ndata:\n  a: \xff\xfe\n", SourceFile(None, "bin.yaml", "bin.yaml", True))
    assert codes(loaded) == [(UNDECODABLE, 4, 6)]
    assert "0xff" in loaded.diagnostics[0].message


def test_alias_bomb_is_stopped_by_the_node_limit():
    text = "apiVersion: v1\nkind: X\na: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for name, prev in zip("bcdef", "abcde"):
        text += f"{name}: &{name} [{', '.join(['*' + prev] * 10)}]\n"
    loaded = load_text(text, limits=Limits(nodes=10_000))
    # an alias is the anchored node itself, so the count passes the limit at a node written on line 3
    assert [(d.code, d.line) for d in loaded.diagnostics] == [(TOO_MANY_NODES, 3)]
    assert "--max-nodes" in loaded.diagnostics[0].hint
    assert load_text(text, limits=Limits(nodes=2_000_000)).diagnostics == []


def test_nesting_limit():
    text = "apiVersion: v1\nkind: X\ndata: " + "[" * 30 + "]" * 30 + "\n"
    loaded = load_text(text, limits=Limits(depth=20))
    assert [(d.code, d.line) for d in loaded.diagnostics] == [(TOO_DEEP, 3)]
    assert "--max-depth" in loaded.diagnostics[0].hint
    assert load_text(text, limits=Limits(depth=40)).diagnostics == []


def test_document_limit():
    loaded = load_text((CONFIGMAP + "---\n") * 4, limits=Limits(documents=3))
    assert [d.code for d in loaded.diagnostics] == [TOO_MANY_DOCUMENTS]
    assert len(loaded.documents) == 3
    assert "--max-documents" in loaded.diagnostics[0].hint


def test_file_size_limit(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text(CONFIGMAP)
    loaded = load([SourceFile(path, "big.yaml", "big.yaml", True)], limits=Limits(file_bytes=10))
    assert [d.code for d in loaded.diagnostics] == [TOO_LARGE]
    assert "--max-file-bytes" in loaded.diagnostics[0].hint
    assert load([SourceFile(path, "big.yaml", "big.yaml", True)], stdin=None).documents


def test_stdin_size_limit():
    loaded = load([SourceFile(None, "-", "-", True)], stdin=CONFIGMAP.encode(), limits=Limits(file_bytes=10))
    assert [d.code for d in loaded.diagnostics] == [TOO_LARGE]


# ---------------------------------------------------------------------------------------------------
# The folder walk (Decision 1)


def test_walk_order_is_by_name_depth_first(workspace):
    workspace({"b.yaml": CONFIGMAP, "a/z.yaml": CONFIGMAP, "a/b/c.yml": CONFIGMAP, "c.json": "{}",
               "A.yaml": CONFIGMAP, "notes.md": "x", "script.sh": "x"})
    assert walk(".") == ["A.yaml", "a/b/c.yml", "a/z.yaml", "b.yaml", "c.json"]


def test_walk_displays_paths_under_the_given_root(workspace):
    root = workspace({"repo/models/m.yaml": CONFIGMAP})
    assert walk("repo") == ["repo/models/m.yaml"]
    files, _ = collect(["repo/"])
    assert [(f.display, f.source, f.named) for f in files] == [("repo/models/m.yaml", "models/m.yaml", False)]
    assert walk(str(root / "repo")) == [str(root / "repo/models/m.yaml")]


def test_named_file_is_named(workspace):
    workspace({"x/m.yaml": CONFIGMAP})
    files, _ = collect(["x/m.yaml"])
    assert [(f.display, f.source, f.named) for f in files] == [("x/m.yaml", "m.yaml", True)]


def test_walk_skips_hidden_entries(workspace):
    workspace({".git/config.yaml": CONFIGMAP, ".github/workflows/ci.yaml": CONFIGMAP, ".hidden.yaml": CONFIGMAP,
               ".out.kserve-compiler-tmp-abc/x.yaml": CONFIGMAP, "m.yaml": CONFIGMAP})
    assert walk(".") == ["m.yaml"]


def test_walk_skips_host_config_files(workspace):
    workspace({"kustomization.yaml": "resources: []\n", "sub/kustomization.yml": "resources: []\n",
               "Kptfile": "apiVersion: kpt.dev/v1\nkind: Kptfile\n", "m.yaml": CONFIGMAP})
    assert walk(".") == ["m.yaml"]
    _, diags = collect(["."])
    assert [(d.code, d.file) for d in diags] == [("KSC122", "kustomization.yaml")]


def test_walk_skips_folders_holding_our_marker(workspace):
    workspace({"rendered/.kserve-compiler": "generated\n", "rendered/default/x.deployment.yaml": CONFIGMAP,
               "src/m.yaml": CONFIGMAP})
    assert walk(".") == ["src/m.yaml"]


def test_walk_skips_the_output_target(workspace):
    root = workspace({"out/x.yaml": CONFIGMAP, "m.yaml": CONFIGMAP})
    assert walk(".", skip=(Path("out"),)) == ["m.yaml"]
    assert walk(".", skip=(root / "out",)) == ["m.yaml"]
    assert walk(".", skip=(Path("./out/"),)) == ["m.yaml"]


def test_walk_skips_excluded_globs(workspace):
    workspace({"drafts/a.yaml": CONFIGMAP, "models/keep.yaml": CONFIGMAP, "models/skip.test.yaml": CONFIGMAP,
               "models/deep/x.yaml": CONFIGMAP})
    assert walk(".", excludes=("drafts",)) == ["models/deep/x.yaml", "models/keep.yaml", "models/skip.test.yaml"]
    assert walk(".", excludes=("*.test.yaml",)) == ["drafts/a.yaml", "models/deep/x.yaml", "models/keep.yaml"]
    assert walk(".", excludes=("models/deep", "drafts/*")) == ["models/keep.yaml", "models/skip.test.yaml"]


def test_named_file_is_read_even_if_it_would_be_skipped_by_a_walk(workspace):
    workspace({"kustomization.yaml": CONFIGMAP})
    assert walk("kustomization.yaml") == ["kustomization.yaml"]


def test_symlink_inside_the_root_is_followed(workspace):
    root = workspace({"real/m.yaml": CONFIGMAP})
    os.symlink("real/m.yaml", root / "link.yaml")
    assert walk(".") == ["link.yaml"]  # one file under two names is read once: the first name wins


def test_a_folder_reached_twice_is_walked_once(workspace):
    root = workspace({"real/m.yaml": CONFIGMAP})
    os.symlink("real", root / "linked")
    assert walk(".") == ["linked/m.yaml"]  # the first name in walk order wins


def test_symlink_leaving_the_root_is_refused(workspace, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    (outside / "secret.yaml").write_text(CONFIGMAP)
    root = workspace({"repo/m.yaml": CONFIGMAP})
    os.symlink(outside / "secret.yaml", root / "repo/file.yaml")
    os.symlink(outside, root / "repo/folder")
    os.symlink("../../" + outside.name, root / "repo/dotdot")  # relative, through ..
    files, diags = collect(["repo"])
    assert [f.display for f in files] == ["repo/m.yaml"]
    assert sorted((d.code, d.file) for d in diags) == [
        (SYMLINK_ESCAPE, "repo/dotdot"), (SYMLINK_ESCAPE, "repo/file.yaml"), (SYMLINK_ESCAPE, "repo/folder")]
    assert all(d.severity is Severity.ERROR for d in diags)


def test_symlink_chain_that_ends_outside_is_refused(workspace, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    (outside / "secret.yaml").write_text(CONFIGMAP)
    root = workspace({"repo/m.yaml": CONFIGMAP})
    os.symlink(outside / "secret.yaml", root / "repo/.hop")
    os.symlink(".hop", root / "repo/a.yaml")  # inside -> hidden link -> outside
    files, diags = collect(["repo"])
    assert [f.display for f in files] == ["repo/m.yaml"]
    assert [(d.code, d.file) for d in diags] == [(SYMLINK_ESCAPE, "repo/a.yaml")]


def test_symlink_loop_terminates(workspace):
    root = workspace({"a/m.yaml": CONFIGMAP})
    os.symlink("..", root / "a/up")
    assert walk(".") == ["a/m.yaml"]


def test_dangling_symlink_is_unreadable_not_a_crash(workspace):
    root = workspace({"m.yaml": CONFIGMAP})
    os.symlink("gone.yaml", root / "x.yaml")
    files, diags = collect(["."])
    loaded = load(files)
    assert [(d.code, d.file) for d in diags + loaded.diagnostics] == [(UNREADABLE, "x.yaml")]
    assert [d.name for d in loaded.documents] == ["a"]


def test_walked_non_object_is_a_notice_but_a_named_one_is_an_error(workspace):
    workspace({"values.yaml": "replicas: 3\n", "m.yaml": CONFIGMAP})
    walked = load(collect(["."])[0])
    assert [(d.code, d.severity, d.file, d.line) for d in walked.diagnostics] == [
        (SKIPPED, Severity.NOTICE, "values.yaml", 1)]
    assert [d.name for d in walked.documents] == ["a"]
    named = load(collect(["values.yaml"])[0])
    assert [(d.code, d.severity, d.file, d.line) for d in named.diagnostics] == [
        (NOT_AN_OBJECT, Severity.ERROR, "values.yaml", 1)]


def test_named_non_mapping_document_is_an_error(workspace):
    workspace({"list.yaml": "- a\n- b\n"})
    loaded = load(collect(["list.yaml"])[0])
    assert [(d.code, d.severity, d.line) for d in loaded.diagnostics] == [(NOT_A_MAPPING, Severity.ERROR, 1)]


def test_walked_non_mapping_document_is_a_notice(workspace):
    workspace({"tasks.yaml": "- a\n- b\n", "m.yaml": CONFIGMAP})
    loaded = load(collect(["."])[0])
    assert [(d.code, d.severity, d.file, d.line) for d in loaded.diagnostics] == [
        (SKIPPED, Severity.NOTICE, "tasks.yaml", 1)]


def test_walked_document_keeps_its_source_relative_to_the_root(workspace):
    workspace({"repo/models/m.yaml": CONFIGMAP + "---\n" + CONFIGMAP.replace("name: a", "name: b")})
    docs = load(collect(["repo"])[0]).documents
    assert [(d.file, d.source, d.index, d.named) for d in docs] == [
        ("repo/models/m.yaml", "models/m.yaml", 0, False), ("repo/models/m.yaml", "models/m.yaml", 1, False)]
