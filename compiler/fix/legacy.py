"""KSC230: the legacy `predictor.<framework>:` block becomes `predictor.model` with `modelFormat`, as KServe's
defaulter reads it (compiler/model.py `_legacy_model`, docs/kserve-behaviour.md §3): the format's name is
the block's key (KServe sets no version), every field of the block is carried over as it is, and the
frameworks whose legacy block defaults to protocol v2 (triton, onnx, huggingface) get `protocolVersion: v2`
written out, since predictor.model does not default it for them."""

from __future__ import annotations

from compiler.diagnostics import Diagnostic
from compiler.fix import tree
from compiler.fix.text import Edit, Text, replace_scalar
from compiler.model import FRAMEWORKS, LEGACY_FORM, V2_FRAMEWORKS

CODE = LEGACY_FORM


def fix(diag: Diagnostic, documents: list, text: Text) -> tuple[list[Edit], str] | None:
    spot = tree.find(documents, diag.line, diag.column, key=True)
    if spot is None or spot.key not in FRAMEWORKS or not tree.is_mapping(spot.value):
        return None
    predictor, key, block = spot.parent, spot.key, spot.value
    if "model" in predictor or "modelFormat" in block:
        return None
    add_protocol = key in V2_FRAMEWORKS and "protocolVersion" not in block
    if key in V2_FRAMEWORKS and "protocolVersion" in block and block["protocolVersion"] is None:
        return None  # an explicit null that KServe overwrites with v2: rewriting it would be a guess
    rename = replace_scalar(text, diag.line - 1, diag.column - 1, key, "model")
    insert = _flow_insert(text, predictor, key, block, add_protocol) if tree.is_flow(block) or not block \
        else _block_insert(text, diag.line - 1, diag.column - 1, block, key, add_protocol)
    if rename is None or insert is None:
        return None
    what = f"predictor.{key} -> predictor.model with modelFormat {key}"
    return [rename, insert], what + (" and protocolVersion v2" if add_protocol else "")


def _block_insert(text: Text, key_line: int, key_column: int, block, key: str, add_protocol: bool) -> Edit | None:
    """New lines right below `<framework>:` (above any comment there, which belongs to the field it
    precedes), at the indentation of the block's keys, nested by the file's own step."""
    first = next(iter(block))
    line, column = block.lc.key(first)
    if line <= key_line or text.body[text.starts[line]:text.offset(line, column)].strip():
        return None  # the block's keys share a line with something else: not a layout to guess at
    indent, step = " " * column, " " * (column - key_column if column > key_column else 2)
    nl = text.newline
    new = f"{indent}modelFormat:{nl}{indent}{step}name: {key}{nl}"
    if add_protocol:
        new += f"{indent}protocolVersion: v2{nl}"
    at = text.starts[key_line + 1]
    return Edit(at, at, new)


def _flow_insert(text: Text, predictor, key: str, block, add_protocol: bool) -> Edit | None:
    """`sklearn: {storageUri: ...}` -> `model: {modelFormat: {name: sklearn}, storageUri: ...}`."""
    line, column = predictor.lc.value(key)
    at = text.offset(line, column)
    if text.body[at:at + 1] != "{":
        return None
    parts = [f"modelFormat: {{name: {key}}}"] + (["protocolVersion: v2"] if add_protocol else [])
    return Edit(at + 1, at + 1, ", ".join(parts) + (", " if block else ""))
