"""compiler/fix/ in pieces: the codes it claims, where ruamel.yaml may be imported, and the fixers'
refusals to guess (each leaves the text as it was)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from compiler.fix import FIXED_CODES
from compiler.fix.plan import FIXERS, plan
from compiler.fix.text import Edit, Text, apply, overlaps
from compiler.pipeline import compile as compile_repo
from compiler.settings import Settings
from compiler.sources.parse import load_text
from conftest import REPO


def test_fixed_codes_are_the_fixers_codes_and_exist():
    assert tuple(sorted(FIXERS)) == FIXED_CODES
    source = "\n".join(p.read_text() for p in (REPO / "compiler").rglob("*.py") if "fix" not in p.parts)
    for code in FIXED_CODES:
        assert f'= "{code}"' in source, code


def test_ruamel_is_imported_only_by_fix():
    probe = ("import sys, compiler.doors.cli, compiler.pipeline, compiler.fix.plan\n"
             "assert not [m for m in sys.modules if m.startswith('ruamel')], 'imported at start-up'\n")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stderr


def _fixed(text: str, **settings) -> tuple[str, tuple]:
    docs = load_text(text, "m.yaml").documents
    result = compile_repo(Settings(sources=("m.yaml",), **settings), docs)
    planned = plan(text, [d for d in result.diagnostics if d.file == "m.yaml"], lambda d: True)
    return planned.text, tuple(a.code for a in planned.applied)


HEAD = "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata: {name: m}\nspec:\n  predictor:\n"


@pytest.mark.parametrize("block, expected", [
    ("    sklearn: {}\n", "    model: {modelFormat: {name: sklearn}}\n"),
    ("    'sklearn':\n      storageUri: gs://b/m\n",
     "    'model':\n      modelFormat:\n        name: sklearn\n      storageUri: gs://b/m\n"),
    ("    huggingface: {storageUri: 'hf://o/m'}\n",
     "    model: {modelFormat: {name: huggingface}, protocolVersion: v2, storageUri: 'hf://o/m'}\n"),
])
def test_legacy_block_shapes(block, expected):
    text, codes = _fixed(HEAD + block)
    assert codes == ("KSC230",) and text == HEAD + expected


@pytest.mark.parametrize("value, expected", [
    (".inf", None),             # no amount to keep: reported, left alone
    ("1_000.5", '"1000.5"'),    # not a quantity as written: the same number in Kubernetes' spelling
    ("2.50", '"2.50"'),         # a quantity as written: kept digit for digit
])
def test_float_quantities(value, expected):
    line = "    model: {{modelFormat: {{name: sklearn}}, resources: {{requests: {{cpu: {}}}}}}}\n"
    text, codes = _fixed(HEAD + line.format(value))
    assert text == HEAD + line.format(expected or value)
    assert codes == (("KSC202",) if expected else ())


def test_misspelt_key_is_not_renamed_onto_an_existing_field():
    text = HEAD + "    model:\n      modelFormat: {name: sklearn}\n      storageUri: gs://b/m\n      storageUrl: x\n"
    assert _fixed(text) == (text, ())


def test_overlapping_edits_keep_the_first():
    assert overlaps(Edit(3, 3, "a"), Edit(3, 3, "b")) and overlaps(Edit(0, 4, ""), Edit(2, 6, ""))
    assert not overlaps(Edit(0, 2, ""), Edit(2, 4, ""))
    assert apply(Text.of("\ufeffab\r\ncd"), [Edit(4, 5, "X")]) == "\ufeffab\r\nXd"
