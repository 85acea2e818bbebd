"""Runtime resolution (compiler/resolve.py) against docs/kserve-behaviour.md §2.

Every row names the rule it checks. Where the spec is silent the expectation is KServe v0.20.0's source
(kserve/kserve at tag v0.20.0):
  pkg/apis/serving/v1beta1/predictor_model.go      GetSupportingRuntimes, RuntimeSupportsModel, sort*
  pkg/apis/serving/v1alpha1/servingruntime_types.go IsProtocolVersionSupported, GetPriority
  pkg/controller/v1beta1/inferenceservice/components/predictor.go  reconcileModel, buildPodSpec
  pkg/controller/v1beta1/inferenceservice/utils/utils.go           GetServingRuntime, Merge...Specs
  pkg/apis/serving/v1beta1/inference_service_defaults.go          SetRuntimeDefaults
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field

import pytest

from compiler import model, resolve
from compiler.diagnostics import Severity
from compiler.sources.parse import load_text
from compiler.resolve import (DISABLED, FORMAT, MULTI_MODEL, MULTI_NODE, NOT_AUTO, NOT_NAMED, PROTOCOL,
                              RANKED_BELOW, VERSION)

NS = "default"
ANY = object()  # a field a row does not check


# ---------------------------------------------------------------------------------------------------
# Builders: YAML text in, model objects out


def _runtime_yaml(kind: str, name: str, body: str, *, namespace: str | None, annotations: str | None,
                  containers: bool) -> str:
    lines = ["apiVersion: serving.kserve.io/v1alpha1", f"kind: {kind}", "metadata:", f"  name: {name}"]
    if namespace:
        lines.append(f"  namespace: {namespace}")
    if annotations:
        lines.append(f"  annotations: {annotations}")
    lines.append("spec:")
    body = textwrap.dedent(body).strip()
    if containers and not re.search(r"^containers:", body, re.M):
        lines.append("  containers: [{name: kserve-container, image: example/server:1.0}]")
    lines += ["  " + line for line in body.splitlines()]
    return "\n".join(lines) + "\n"


def sr(name: str, body: str, *, namespace: str | None = None, annotations: str | None = None,
       containers: bool = True) -> str:
    """A namespaced ServingRuntime (namespace absent = the default namespace)."""
    return _runtime_yaml("ServingRuntime", name, body, namespace=namespace, annotations=annotations,
                         containers=containers)


def csr(name: str, body: str, *, annotations: str | None = None, containers: bool = True) -> str:
    return _runtime_yaml("ClusterServingRuntime", name, body, namespace=None, annotations=annotations,
                         containers=containers)


def fmts(*entries: str) -> str:
    """supportedModelFormats from flow entries: fmts('{name: sklearn, version: "1", autoSelect: true}')."""
    return "supportedModelFormats:\n" + "\n".join(f"  - {e}" for e in entries)


def auto(name: str, version: str | None = None, priority: int | None = None, protocols: str | None = None,
         extra: str = "") -> str:
    """A runtime body with one autoSelect entry (and optionally protocolVersions)."""
    entry = f"name: {name}, autoSelect: true"
    if version is not None:
        entry += f', version: "{version}"'
    if priority is not None:
        entry += f", priority: {priority}"
    body = fmts("{" + entry + "}")
    if protocols is not None:
        body += f"\nprotocolVersions: {protocols}"
    if extra:
        body += "\n" + textwrap.dedent(extra).strip()
    return body


def load_runtimes(texts: list[str], *, builtin: bool = False) -> list[model.Runtime]:
    if not texts:
        return []
    loaded = load_text("---\n".join(texts))
    assert not loaded.diagnostics, loaded.diagnostics
    return [model.runtime_from(doc, default_namespace=NS, builtin=builtin) for doc in loaded.documents]


def isvc_yaml(predictor: str, *, name: str = "my-model", namespace: str | None = None,
              annotations: str | None = None) -> str:
    lines = ["apiVersion: serving.kserve.io/v1beta1", "kind: InferenceService", "metadata:", f"  name: {name}"]
    if namespace:
        lines.append(f"  namespace: {namespace}")
    if annotations:
        lines.append(f"  annotations: {annotations}")
    lines += ["spec:", "  predictor:"]
    lines += ["    " + line for line in textwrap.dedent(predictor).strip().splitlines()]
    return "\n".join(lines) + "\n"


def mdl(modelformat: str, **fields: str) -> str:
    """A predictor body with predictor.model: mdl('{name: sklearn}', runtime='x', protocolVersion='v2')."""
    lines = ["model:", f"  modelFormat: {modelformat}", "  storageUri: gs://bucket/model"]
    lines += [f"  {key}: {value}" for key, value in fields.items()]
    return "\n".join(lines)


def load_isvc(text: str):
    loaded = load_text(text)
    assert not loaded.diagnostics, loaded.diagnostics
    isvc, diags = model.inference_service_from(loaded.documents[0], default_namespace=NS)
    assert isvc is not None, diags
    return isvc, diags


def run(runtimes: list[str], predictor: str, *, builtins: list[str] = (), namespace: str | None = None,
        annotations: str | None = None):
    rts = load_runtimes(list(runtimes)) + load_runtimes(list(builtins), builtin=True)
    isvc, model_diags = load_isvc(isvc_yaml(predictor, namespace=namespace, annotations=annotations))
    res = resolve.resolve(isvc, isvc.predictor, resolve.Runtimes(rts))
    return rts, isvc, model_diags, res


def key(rt: model.Runtime) -> str:
    """How rows name a runtime: NAME for a ClusterServingRuntime, NAMESPACE/NAME for a ServingRuntime."""
    return rt.name if rt.cluster else f"{rt.namespace}/{rt.name}"


def visible(rts: list[model.Runtime], namespace: str) -> set[str]:
    return {key(rt) for rt in rts if rt.cluster or rt.namespace == namespace}


# ---------------------------------------------------------------------------------------------------
# The table


@dataclass
class Case:
    id: str
    runtimes: list[str]
    predictor: str
    chosen: str | None                                     # key() of the chosen runtime, or None
    how: str
    codes: list[str] = field(default_factory=list)         # every diagnostic code (model + resolve), sorted
    exact: dict[str, str] = field(default_factory=dict)    # code -> exact message
    message: dict[str, list[str]] = field(default_factory=dict)  # code -> substrings of the message
    hint: dict[str, list[str]] = field(default_factory=dict)     # code -> substrings of the hint
    passed: dict[str, str] | None = None                   # key() -> PassedOver.reason, for EVERY other runtime
    detail: dict[str, list[str]] = field(default_factory=dict)   # key() -> substrings of PassedOver.detail
    order: list[str] | None = None                         # auto-selection's candidates, best first
    protocol: object = ANY                                 # Resolution.protocol
    severity: dict[str, Severity] = field(default_factory=dict)
    namespace: str | None = None
    builtins: list[str] = field(default_factory=list)
    subject: str | None = None   # the named runtime a failed explicit row is about (its error explains it)

    def param(self):
        return pytest.param(self, id=self.id)


def check(case: Case) -> None:
    rts, isvc, model_diags, res = run(case.runtimes, case.predictor, builtins=case.builtins,
                                      namespace=case.namespace)
    diags = [*model_diags, *res.diagnostics]
    assert (key(res.runtime) if res.runtime else None) == case.chosen
    assert res.how == case.how
    assert sorted(d.code for d in diags) == sorted(case.codes), [(d.code, d.message) for d in diags]
    by_code = {d.code: d for d in diags}
    for code, text in case.exact.items():
        assert by_code[code].message == text
    for code, parts in case.message.items():
        for part in parts:
            assert part in by_code[code].message, (part, by_code[code].message)
    for code, parts in case.hint.items():
        for part in parts:
            assert part in (by_code[code].hint or ""), (part, by_code[code].hint)
    for code, sev in case.severity.items():
        assert by_code[code].severity == sev
    if case.passed is not None:
        got = {key(p.runtime): p.reason for p in res.passed_over}
        others = visible(rts, isvc.namespace) - {case.chosen, case.subject}
        assert set(got) == others, "explain must account for every other visible runtime"
        assert len(res.passed_over) == len(got), "each runtime is passed over once"
        assert got == case.passed
        if res.runtime is not None:
            assert res.runtime not in [p.runtime for p in res.passed_over]
    for name, parts in case.detail.items():
        detail = next(p.detail for p in res.passed_over if key(p.runtime) == name)
        for part in parts:
            assert part in detail, (part, detail)
    if case.order is not None:
        assert [key(rt) for rt in res.candidates] == case.order
    if case.protocol is not ANY:
        assert res.protocol == case.protocol


SK = '{name: sklearn}'
SK1 = '{name: sklearn, version: "1"}'
SK0 = '{name: sklearn, version: "0"}'
NOT_FOUND = "No ServingRuntimes or ClusterServingRuntimes with the name: {}"

# ---- 2.1 explicit runtime ------------------------------------------------------------------------

EXPLICIT = [
    Case("2.1.1-namespace-runtime-before-cluster-runtime-of-same-name",
         [sr("shared", auto("sklearn")), csr("shared", auto("sklearn"))],
         mdl(SK, runtime="shared"), "default/shared", "explicit",
         passed={"shared": NOT_NAMED}),
    Case("2.1.1-cluster-runtime-when-namespace-has-none",
         [csr("shared", auto("sklearn")), sr("unrelated", auto("xgboost"))],
         mdl(SK, runtime="shared"), "shared", "explicit",
         passed={"default/unrelated": NOT_NAMED}),
    Case("2.1.1-runtime-of-another-namespace-is-invisible",
         [sr("shared", auto("sklearn"), namespace="other"), csr("shared", auto("sklearn"))],
         mdl(SK, runtime="shared"), "shared", "explicit", passed={}),
    Case("2.1.1-not-found-KSC301-exact-kserve-message",
         [csr("kserve-sklearnserver", auto("sklearn", "1"))],
         mdl(SK, runtime="nope"), None, "unresolved", ["KSC301"],
         exact={"KSC301": NOT_FOUND.format("nope")},
         hint={"KSC301": ["kserve-sklearnserver"]},
         passed={"kserve-sklearnserver": NOT_NAMED}),
    Case("2.1.1-not-found-when-only-another-namespace-has-it",
         [sr("mine", auto("sklearn"), namespace="other")],
         mdl(SK, runtime="mine"), None, "unresolved", ["KSC301"],
         exact={"KSC301": NOT_FOUND.format("mine")}, passed={}),
    Case("2.1.2-disabled-KSC302",
         [csr("rt-off", auto("sklearn", extra="disabled: true"))],
         mdl(SK, runtime="rt-off"), None, "unresolved", ["KSC302"],
         exact={"KSC302": "specified runtime rt-off is disabled"}, severity={"KSC302": Severity.ERROR},
         passed={}, subject="rt-off"),
    Case("2.1.2-disabled-namespace-runtime-shadows-enabled-cluster-runtime",
         [sr("shared", auto("sklearn", extra="disabled: true")), csr("shared", auto("sklearn"))],
         mdl(SK, runtime="shared"), None, "unresolved", ["KSC302"],
         exact={"KSC302": "specified runtime shared is disabled"},
         passed={"shared": NOT_NAMED}, subject="default/shared"),
    Case("2.1.2-disabled-false-is-enabled",
         [csr("rt-on", auto("sklearn", extra="disabled: false"))],
         mdl(SK, runtime="rt-on"), "rt-on", "explicit"),
    Case("2.1.3-protocol-set-and-unsupported-KSC303",
         [csr("v1only", auto("sklearn", protocols="[v1]"))],
         mdl(SK, runtime="v1only", protocolVersion="v2"), None, "unresolved", ["KSC303"],
         exact={"KSC303": "specified runtime v1only does not support specified protocol version"},
         hint={"KSC303": ["v2", "v1"]}),
    Case("2.1.3-protocol-set-and-supported",
         [csr("both", auto("sklearn", protocols="[v1, grpc-v2]"))],
         mdl(SK, runtime="both", protocolVersion="grpc-v2"), "both", "explicit", protocol="grpc-v2"),
    Case("2.1.3-protocol-unset-is-not-checked",
         [csr("v2only", auto("sklearn", protocols="[v2]"))],
         mdl(SK, runtime="v2only"), "v2only", "explicit"),
    Case("2.1.3-empty-protocol-list-supports-every-protocol",
         [csr("any", auto("sklearn"))],
         mdl(SK, runtime="any", protocolVersion="grpc-v1"), "any", "explicit", protocol="grpc-v1"),
    Case("2.1.3-protocol-defaulted-for-triton-is-checked",
         [csr("tv1", auto("triton", protocols="[v1]"))],
         mdl("{name: triton}", runtime="tv1"), None, "unresolved", ["KSC303"],
         exact={"KSC303": "specified runtime tv1 does not support specified protocol version"}),
    Case("2.1.4-name-only-model-matches-versioned-entry",
         [csr("x", auto("sklearn", "1"))],
         mdl(SK, runtime="x"), "x", "explicit"),
    Case("2.1.4-name-version-matches",
         [csr("x", auto("sklearn", "1"))],
         mdl(SK1, runtime="x"), "x", "explicit"),
    Case("2.1.4-version-mismatch-KSC304",
         [csr("x", auto("sklearn", "1"))],
         mdl('{name: sklearn, version: "2"}', runtime="x"), None, "unresolved", ["KSC304"],
         exact={"KSC304": "specified runtime x does not support specified framework/version"},
         hint={"KSC304": ["sklearn:2", "sklearn:1"]}),
    Case("2.1.4-versioned-model-needs-versioned-entry",
         [csr("x", auto("sklearn"))],
         mdl(SK1, runtime="x"), None, "unresolved", ["KSC304"]),
    Case("2.1.4-any-entry-counts-not-only-the-first",
         [csr("x", fmts('{name: xgboost, version: "2", autoSelect: true}',
                        '{name: sklearn, version: "1", autoSelect: true}'))],
         mdl(SK1, runtime="x"), "x", "explicit"),
    Case("2.1.4-autoSelect-false-ignored-when-named",
         [csr("x", fmts('{name: sklearn, version: "1", autoSelect: false}'))],
         mdl(SK1, runtime="x"), "x", "explicit"),
    Case("2.1.4-autoSelect-absent-ignored-when-named",
         [csr("x", fmts('{name: sklearn, version: "1"}'))],
         mdl(SK, runtime="x"), "x", "explicit"),
    Case("2.1.4-format-name-without-protocolVersions-or-priority",
         [csr("x", fmts('{name: sklearn}'))],
         mdl(SK, runtime="x"), "x", "explicit"),
    Case("2.1.5-format-names-are-case-sensitive",
         [csr("x", auto("SKLearn", "1"))],
         mdl(SK1, runtime="x"), None, "unresolved", ["KSC304"]),
    Case("2.1.5-version-1-is-not-1.0",
         [csr("x", auto("sklearn", "1.0"))],
         mdl(SK1, runtime="x"), None, "unresolved", ["KSC304"]),
    Case("2.1.5-version-1.0-is-not-1",
         [csr("x", auto("sklearn", "1"))],
         mdl('{name: sklearn, version: "1.0"}', runtime="x"), None, "unresolved", ["KSC304"]),
    Case("2.1.6-multiModel-named-is-used-with-KSC305",
         [csr("mm", auto("sklearn", extra="multiModel: true"))],
         mdl(SK, runtime="mm"), "mm", "explicit", ["KSC305"],
         message={"KSC305": ["mm", "multiModel"]}, severity={"KSC305": Severity.WARNING}),
    Case("2.1.6-multi-node-named-is-used-with-KSC306",
         [csr("mn", auto("sklearn", extra="workerSpec: {containers: [{name: worker-container, image: w}]}"))],
         mdl(SK, runtime="mn"), "mn", "explicit", ["KSC306"], severity={"KSC306": Severity.WARNING}),
    Case("2.1-checks-run-in-kserve-order-disabled-before-protocol-and-format",
         [csr("x", auto("xgboost", protocols="[v1]", extra="disabled: true"))],
         mdl(SK, runtime="x", protocolVersion="v2"), None, "unresolved", ["KSC302"]),
    Case("2.1-checks-run-in-kserve-order-protocol-before-format",
         [csr("x", auto("xgboost", protocols="[v1]"))],
         mdl(SK, runtime="x", protocolVersion="v2"), None, "unresolved", ["KSC303"]),
]

# ---- 2.2 auto-selection --------------------------------------------------------------------------

AUTO = [
    Case("2.2.2-disabled-never-chosen",
         [csr("a-off", auto("sklearn", priority=9, extra="disabled: true")), csr("b-on", auto("sklearn"))],
         mdl(SK), "b-on", "auto-selected", passed={"a-off": DISABLED}),
    Case("2.2.2-multiModel-never-chosen",
         [csr("a-mm", auto("sklearn", priority=9, extra="multiModel: true")), csr("b", auto("sklearn"))],
         mdl(SK), "b", "auto-selected", passed={"a-mm": MULTI_MODEL}),
    Case("2.2.2-multi-node-never-chosen-for-a-single-node-predictor",
         [csr("a-mn", auto("sklearn", priority=9,
                           extra="workerSpec: {containers: [{name: worker-container, image: w}]}")),
          csr("b", auto("sklearn"))],
         mdl(SK), "b", "auto-selected", passed={"a-mn": MULTI_NODE}),
    Case("2.2.2-only-ineligible-runtimes-KSC311",
         [csr("a-off", auto("sklearn", extra="disabled: true")),
          csr("b-mm", auto("sklearn", extra="multiModel: true"))],
         mdl(SK), None, "unresolved", ["KSC311"], passed={"a-off": DISABLED, "b-mm": MULTI_MODEL},
         hint={"KSC311": ["a-off", "disabled"]}),
    Case("2.2.2-autoSelect-false-entries-ignored",
         [csr("named-only", fmts('{name: sklearn, version: "1", autoSelect: false, priority: 9}'))],
         mdl(SK), None, "unresolved", ["KSC311"], passed={"named-only": NOT_AUTO},
         detail={"named-only": ["autoSelect", "runtime: named-only"]},
         hint={"KSC311": ["runtime: named-only"]}),
    Case("2.2.2-autoSelect-absent-entries-ignored",
         [csr("named-only", fmts('{name: sklearn}')), csr("z-auto", auto("sklearn"))],
         mdl(SK), "z-auto", "auto-selected", passed={"named-only": NOT_AUTO}),
    Case("2.2.2-only-the-autoSelect-entry-of-the-version-counts",
         [csr("x", fmts('{name: sklearn, version: "0", autoSelect: false}',
                        '{name: sklearn, version: "1", autoSelect: true}'))],
         mdl(SK0), None, "unresolved", ["KSC311"], passed={"x": NOT_AUTO},
         exact={"KSC311": "no runtime found to support predictor with model type: {sklearn 0}"}),
    Case("2.2.2-autoSelect-entry-of-another-version-serves-a-name-only-model",
         [csr("x", fmts('{name: sklearn, version: "0", autoSelect: false}',
                        '{name: sklearn, version: "1", autoSelect: true}'))],
         mdl(SK), "x", "auto-selected", passed={}),
    Case("2.2.2-version-match-is-exact-string",
         [csr("x", auto("sklearn", "1.0"))],
         mdl(SK1), None, "unresolved", ["KSC311"], passed={"x": VERSION},
         detail={"x": ["'1.0'", "'1'"]},
         exact={"KSC311": "no runtime found to support predictor with model type: {sklearn 1}"}),
    Case("2.2.2-versioned-model-needs-a-versioned-entry",
         [csr("x", auto("sklearn"))],
         mdl(SK1), None, "unresolved", ["KSC311"], passed={"x": VERSION}),
    Case("2.2.2-name-only-model-matches-any-version",
         [csr("x", auto("sklearn", "7"))],
         mdl(SK), "x", "auto-selected", passed={}),
    Case("2.2.2-format-names-are-case-sensitive",
         [csr("x", auto("SKLearn"))],
         mdl(SK), None, "unresolved", ["KSC311"], passed={"x": FORMAT},
         detail={"x": ["SKLearn", "case-sensitive"]}),
    Case("2.2.2-other-format-passed-over",
         [csr("xgb", auto("xgboost")), csr("sk", auto("sklearn"))],
         mdl(SK), "sk", "auto-selected", passed={"xgb": FORMAT}, detail={"xgb": ["sklearn"]}),
    Case("2.2.2-protocol-defaults-to-v1",
         [csr("v2only", auto("sklearn", protocols="[v2]"))],
         mdl(SK), None, "unresolved", ["KSC311"], passed={"v2only": PROTOCOL},
         detail={"v2only": ["v2", "v1", "default"]}, hint={"KSC311": ["protocolVersion: v2"]}),
    Case("2.2.2-set-protocol-must-be-listed",
         [csr("a-v1", auto("sklearn", priority=9, protocols="[v1]")), csr("b-v2", auto("sklearn", protocols="[v2]"))],
         mdl(SK, protocolVersion="v2"), "b-v2", "auto-selected", passed={"a-v1": PROTOCOL},
         protocol="v2"),
    Case("2.2.2-runtime-listing-no-protocol-supports-all",
         [csr("any", auto("sklearn"))],
         mdl(SK, protocolVersion="grpc-v2"), "any", "auto-selected", passed={}, protocol="grpc-v2"),
    Case("2.2.2-triton-format-defaults-to-v2",
         [csr("a-v1", auto("triton", protocols="[v1]")), csr("b-v2", auto("triton", protocols="[v2]"))],
         mdl("{name: triton}"), "b-v2", "auto-selected", passed={"a-v1": PROTOCOL}, protocol="v2"),
    Case("2.2.2-vLLM-format-defaults-to-v2",
         [csr("a-v1", auto("vLLM", protocols="[v1]")), csr("b-v2", auto("vLLM", protocols="[v2]"))],
         mdl("{name: vLLM}"), "b-v2", "auto-selected", passed={"a-v1": PROTOCOL}, protocol="v2"),
    Case("2.2.2-lowercase-vllm-gets-no-v2-default",
         [csr("a-v1", auto("vllm", protocols="[v1]")), csr("b-v2", auto("vllm", protocols="[v2]"))],
         mdl("{name: vllm}"), "a-v1", "auto-selected", passed={"b-v2": PROTOCOL}),
    Case("2.2.2-triton-with-explicit-v1-keeps-it",
         [csr("a-v1", auto("triton", protocols="[v1]")), csr("b-v2", auto("triton", protocols="[v2]"))],
         mdl("{name: triton}", protocolVersion="v1"), "a-v1", "auto-selected", passed={"b-v2": PROTOCOL}),
    Case("2.2.1-namespace-candidate-before-higher-priority-cluster-candidate",
         [sr("ns-low", auto("sklearn", priority=1)), csr("cl-high", auto("sklearn", priority=100))],
         mdl(SK), "default/ns-low", "auto-selected", passed={"cl-high": RANKED_BELOW},
         detail={"cl-high": ["namespace"]}, order=["default/ns-low", "cl-high"]),
    Case("2.2.1-namespace-candidate-without-priority-before-cluster-candidate-with-one",
         [sr("ns-unset", auto("sklearn")), csr("cl-set", auto("sklearn", priority=5))],
         mdl(SK), "default/ns-unset", "auto-selected", passed={"cl-set": RANKED_BELOW}),
    Case("2.2.1-namespace-candidate-before-cluster-candidate-with-lower-protocol",
         [sr("ns-v2", auto("sklearn", protocols="[v2, v1]")), csr("a-cl-v1", auto("sklearn", protocols="[v1]"))],
         mdl(SK), "default/ns-v2", "auto-selected", order=["default/ns-v2", "a-cl-v1"]),
    Case("2.2.1-full-order-namespace-group-then-cluster-group",
         [sr("n1", auto("sklearn", priority=1)), sr("n2", auto("sklearn", priority=2)),
          csr("c1", auto("sklearn", priority=1)), csr("c9", auto("sklearn", priority=9))],
         mdl(SK), "default/n2", "auto-selected", order=["default/n2", "default/n1", "c9", "c1"],
         passed={"default/n1": RANKED_BELOW, "c9": RANKED_BELOW, "c1": RANKED_BELOW}),
    Case("2.2.1-runtimes-of-other-namespaces-are-not-candidates",
         [sr("elsewhere", auto("sklearn", priority=9), namespace="other"), csr("cl", auto("sklearn"))],
         mdl(SK), "cl", "auto-selected", passed={}),
    Case("2.2.4-higher-priority-first",
         [csr("a-p1", auto("sklearn", priority=1)), csr("z-p5", auto("sklearn", priority=5))],
         mdl(SK), "z-p5", "auto-selected", passed={"a-p1": RANKED_BELOW},
         detail={"a-p1": ["priority", "1", "5"]}, order=["z-p5", "a-p1"]),
    Case("2.2.4-set-priority-before-unset",
         [csr("a-unset", auto("sklearn")), csr("z-p1", auto("sklearn", priority=1))],
         mdl(SK), "z-p1", "auto-selected", passed={"a-unset": RANKED_BELOW}, order=["z-p1", "a-unset"]),
    Case("2.2.4-priority-beats-protocol-rank",
         [csr("a-v1", auto("sklearn", priority=1, protocols="[v1, v2]")),
          csr("z-v2", auto("sklearn", priority=2, protocols="[v2]"))],
         mdl(SK, protocolVersion="v2"), "z-v2", "auto-selected", order=["z-v2", "a-v1"]),
    Case("2.2.4-priority-from-first-entry-of-the-name-even-without-autoSelect",
         [csr("a", fmts('{name: sklearn, version: "0", autoSelect: false, priority: 9}',
                        '{name: sklearn, version: "1", autoSelect: true, priority: 1}')),
          csr("b", auto("sklearn", "1", priority=5))],
         mdl(SK1), "a", "auto-selected", passed={"b": RANKED_BELOW}, order=["a", "b"]),
    Case("2.2.4-unset-priority-on-first-entry-wins-over-later-set-one",
         [csr("a", fmts('{name: sklearn, version: "0"}',
                        '{name: sklearn, version: "1", autoSelect: true, priority: 9}')),
          csr("b", auto("sklearn", "1", priority=1))],
         mdl(SK1), "b", "auto-selected", passed={"a": RANKED_BELOW}, order=["b", "a"]),
    Case("2.2.4-priority-of-another-format-does-not-count",
         [csr("a", fmts('{name: xgboost, autoSelect: true, priority: 9}', '{name: sklearn, autoSelect: true}')),
          csr("b", auto("sklearn", priority=1))],
         mdl(SK), "b", "auto-selected", order=["b", "a"]),
    Case("2.2.3-lower-protocol-first-among-equal-priority",
         [csr("a-v2", auto("sklearn", priority=1, protocols="[v2]")),
          csr("z-v1", auto("sklearn", priority=1, protocols="[v2, v1]"))],
         mdl(SK, protocolVersion="v2"), "z-v1", "auto-selected", passed={"a-v2": RANKED_BELOW},
         detail={"a-v2": ["protocol"]}, order=["z-v1", "a-v2"]),
    Case("2.2.3-protocol-rank-v1-v2-grpc-v1-grpc-v2-none",
         [csr("a-none", auto("sklearn")), csr("b-grpc-v2", auto("sklearn", protocols="[grpc-v2]")),
          csr("c-grpc-v1", auto("sklearn", protocols="[grpc-v2, grpc-v1]")),
          csr("d-v2", auto("sklearn", protocols="[grpc-v2, v2]")),
          csr("e-v1", auto("sklearn", protocols="[grpc-v2, v1]"))],
         mdl(SK, protocolVersion="grpc-v2"), "e-v1", "auto-selected",
         order=["e-v1", "d-v2", "c-grpc-v1", "b-grpc-v2", "a-none"]),
    Case("2.2.3-name-order-among-equals-with-tie-warning-KSC310",
         [csr("zeta", auto("sklearn", priority=2)), csr("alpha", auto("sklearn", priority=2)),
          csr("mid", auto("sklearn", priority=1))],
         mdl(SK), "alpha", "auto-selected", ["KSC310"], order=["alpha", "zeta", "mid"],
         message={"KSC310": ["alpha, zeta", "sklearn"]}, hint={"KSC310": ["runtime: alpha"]},
         severity={"KSC310": Severity.WARNING},
         passed={"zeta": RANKED_BELOW, "mid": RANKED_BELOW}, detail={"zeta": ["tied", "alpha"]}),
    Case("2.2.6-tie-names-every-tied-runtime",
         [csr("c", auto("sklearn")), csr("a", auto("sklearn")), csr("b", auto("sklearn"))],
         mdl(SK), "a", "auto-selected", ["KSC310"], message={"KSC310": ["a, b, c"]}),
    Case("2.2.6-tie-leaves-out-lower-ranked-candidates",
         [csr("a", auto("sklearn", priority=3)), csr("b", auto("sklearn", priority=3)),
          csr("c", auto("sklearn", priority=1))],
         mdl(SK), "a", "auto-selected", ["KSC310"], message={"KSC310": ["runtimes a, b tie"]}),
    Case("2.2.6-tie-in-the-namespace-group",
         [sr("n2", auto("sklearn")), sr("n1", auto("sklearn")), csr("c", auto("sklearn"))],
         mdl(SK), "default/n1", "auto-selected", ["KSC310"], message={"KSC310": ["n1, n2"]}),
    Case("2.2.6-no-tie-across-namespace-and-cluster-groups",
         [sr("z-ns", auto("sklearn")), csr("a-cl", auto("sklearn"))],
         mdl(SK), "default/z-ns", "auto-selected"),
    Case("2.2.6-no-tie-when-protocol-rank-decides",
         [csr("a", auto("sklearn", protocols="[v2]")), csr("b", auto("sklearn", protocols="[v1]"))],
         mdl(SK), "b", "auto-selected"),
    Case("2.2.6-no-tie-when-priority-decides",
         [csr("a", auto("sklearn", priority=1)), csr("b", auto("sklearn", priority=2))],
         mdl(SK), "b", "auto-selected"),
    Case("2.2.5-nothing-KSC311-nil-version",
         [csr("xgb", auto("xgboost"))],
         mdl(SK), None, "unresolved", ["KSC311"], severity={"KSC311": Severity.ERROR},
         exact={"KSC311": "no runtime found to support predictor with model type: {sklearn <nil>}"},
         hint={"KSC311": ["supportedModelFormats", "name: sklearn", "autoSelect: true"]},
         passed={"xgb": FORMAT}),
    Case("2.2.5-nothing-KSC311-with-version",
         [], mdl(SK0), None, "unresolved", ["KSC311"],
         exact={"KSC311": "no runtime found to support predictor with model type: {sklearn 0}"},
         hint={"KSC311": ["name: sklearn", "autoSelect: true"]}, passed={}),
    Case("2.2.5-version-miss-hint-names-the-field",
         [csr("x", auto("sklearn", "1"))],
         mdl(SK0), None, "unresolved", ["KSC311"], hint={"KSC311": ["x", "modelFormat.version"]}),
    Case("2-model-without-modelFormat-KSC307",
         [csr("x", auto("sklearn"))],
         "model:\n  storageUri: gs://b/m", None, "unresolved", ["KSC307"]),
]

# ---- 2.3 after selection -------------------------------------------------------------------------

AFTER = [
    Case("2.3-auto-selected-runtime-without-containers-KSC312",
         [csr("empty", auto("sklearn") + "\ncontainers: []")],
         mdl(SK), None, "unresolved", ["KSC312"],
         exact={"KSC312": "no container configuration found in selected serving runtime"},
         hint={"KSC312": ["empty"]}),
    Case("2.3-named-runtime-without-containers-key-KSC312",
         [csr("empty", auto("sklearn"), containers=False)],
         mdl(SK, runtime="empty"), None, "unresolved", ["KSC312"],
         exact={"KSC312": "no container configuration found in selected serving runtime"}),
    Case("2.3-runtime-without-kserve-container-KSC313",
         [csr("odd", auto("sklearn") + "\ncontainers: [{name: server, image: x}]")],
         mdl(SK), None, "unresolved", ["KSC313"],
         exact={"KSC313": "failed to find kserve-container in ServingRuntime containers"},
         hint={"KSC313": ["kserve-container"]}),
    Case("2.3-kserve-container-need-not-be-first",
         [csr("ok", auto("sklearn") + "\ncontainers: [{name: side, image: s}, {name: kserve-container, image: x}]")],
         mdl(SK), "ok", "auto-selected"),
    Case("2.3-tie-warning-survives-after-selection-error",
         [csr("a", auto("sklearn") + "\ncontainers: []"), csr("b", auto("sklearn"))],
         mdl(SK), None, "unresolved", ["KSC310", "KSC312"]),
]

# ---- 2.3 effective protocol from the server type --------------------------------------------------

PROTOCOL_CASES = [
    Case("2.3-mlserver-by-name-sets-v2",
         [csr("kserve-mlserver", auto("sklearn", protocols="[v2]"))],
         mdl(SK, runtime="kserve-mlserver"), "kserve-mlserver", "explicit", protocol="v2"),
    Case("2.3-mlserver-by-annotation-sets-v2",
         [csr("my-ml", auto("sklearn", protocols="[v1, v2]"),
              annotations="{serving.kserve.io/server-type: mlserver}")],
         mdl(SK, runtime="my-ml"), "my-ml", "explicit", protocol="v2"),
    Case("2.3-torchserve-by-name-sets-v1",
         [csr("kserve-torchserve", auto("pytorch", protocols="[v2, grpc-v2]"))],
         mdl("{name: pytorch}", runtime="kserve-torchserve"), "kserve-torchserve", "explicit", protocol="v1"),
    Case("2.3-tritonserver-by-name-sets-v2",
         [csr("kserve-tritonserver", auto("onnx", protocols="[v2, grpc-v2]"))],
         mdl("{name: onnx}", runtime="kserve-tritonserver"), "kserve-tritonserver", "explicit",
         protocol="v2"),
    Case("2.3-tritonserver-by-annotation-sets-v2-when-auto-selected",
         [csr("my-triton", auto("onnx"), annotations="{serving.kserve.io/server-type: tritonserver}")],
         mdl("{name: onnx}"), "my-triton", "auto-selected", protocol="v2"),
    Case("2.3-annotation-wins-over-the-runtime-name",
         [csr("kserve-mlserver", auto("sklearn", protocols="[v1, v2]"),
              annotations="{serving.kserve.io/server-type: torchserve}")],
         mdl(SK, runtime="kserve-mlserver"), "kserve-mlserver", "explicit", protocol="v1"),
    Case("2.3-model-protocol-wins-over-server-type",
         [csr("kserve-mlserver", auto("sklearn", protocols="[v2, grpc-v2]"))],
         mdl(SK, runtime="kserve-mlserver", protocolVersion="grpc-v2"), "kserve-mlserver", "explicit",
         protocol="grpc-v2"),
    Case("2.3-defaulted-triton-v2-is-kept",
         [csr("kserve-torchserve", auto("triton", protocols="[v1, v2]"))],
         mdl("{name: triton}", runtime="kserve-torchserve"), "kserve-torchserve", "explicit", protocol="v2"),
]


@pytest.mark.parametrize("case", [c.param() for c in EXPLICIT])
def test_explicit(case: Case) -> None:
    check(case)


@pytest.mark.parametrize("case", [c.param() for c in AUTO])
def test_auto_selection(case: Case) -> None:
    check(case)


@pytest.mark.parametrize("case", [c.param() for c in AFTER])
def test_after_selection(case: Case) -> None:
    check(case)


@pytest.mark.parametrize("case", [c.param() for c in PROTOCOL_CASES])
def test_effective_protocol(case: Case) -> None:
    check(case)


# ---------------------------------------------------------------------------------------------------
# 2.4: the seed's examples, with the built-in runtimes as docs/kserve-behaviour.md §7 lists them


BUILTINS = [
    csr("kserve-sklearnserver", """
        supportedModelFormats:
          - {name: sklearn, version: "1", autoSelect: true, priority: 1}
        protocolVersions: [v1, v2]
        containers:
          - name: kserve-container
            image: kserve/sklearnserver:v0.20.0
            args: ["--model_name={{.Name}}", --model_dir=/mnt/models, --http_port=8080]
        """, annotations="{serving.kserve.io/server-type: sklearnserver}"),
    csr("kserve-mlserver", """
        supportedModelFormats:
          - {name: sklearn, version: "0", autoSelect: true, priority: 2}
          - {name: sklearn, version: "1", autoSelect: true, priority: 2}
          - {name: xgboost, version: "1", autoSelect: true, priority: 2}
          - {name: xgboost, version: "2", autoSelect: true, priority: 2}
          - {name: lightgbm, version: "3", autoSelect: true, priority: 2}
          - {name: lightgbm, version: "4", autoSelect: true, priority: 2}
          - {name: mlflow, version: "1", autoSelect: true, priority: 1}
          - {name: mlflow, version: "2", autoSelect: true, priority: 1}
        protocolVersions: [v2]
        containers:
          - name: kserve-container
            image: docker.io/seldonio/mlserver:1.7.1
        """, annotations="{serving.kserve.io/server-type: mlserver}"),
    csr("kserve-predictiveserver", """
        multiModel: false
        supportedModelFormats:
          - {name: sklearn, version: "1", autoSelect: false, priority: 3}
          - {name: xgboost, version: "2", autoSelect: false, priority: 3}
          - {name: lightgbm, version: "4", autoSelect: false, priority: 3}
        protocolVersions: [v1, v2]
        containers:
          - name: kserve-container
            image: kserve/predictiveserver:v0.20.0
        """, annotations="{serving.kserve.io/server-type: predictiveserver}"),
    csr("kserve-xgbserver", """
        supportedModelFormats:
          - {name: xgboost, version: "2", autoSelect: true, priority: 1}
        protocolVersions: [v1, v2]
        containers:
          - name: kserve-container
            image: kserve/xgbserver:v0.20.0
        """, annotations="{serving.kserve.io/server-type: xgbserver}"),
]

EXAMPLE_RUNTIME = sr("example-runtime", """
    supportedModelFormats:
      - name: example-format
        version: "1"
        autoSelect: true
    containers:
      - name: kserve-container
        image: examplemodelserver:latest
        args:
          - --model_dir=/mnt/models
          - --http_port=8080
    """)

SEED = [
    Case("2.4.1-example-runtime-in-namespace-serves-its-format",
         [EXAMPLE_RUNTIME], mdl("{name: example-format}"), "default/example-runtime", "auto-selected",
         builtins=BUILTINS,
         passed={"kserve-sklearnserver": FORMAT, "kserve-mlserver": FORMAT, "kserve-predictiveserver": FORMAT,
                 "kserve-xgbserver": FORMAT}),
    Case("2.4.1-example-runtime-with-its-version",
         [EXAMPLE_RUNTIME], mdl('{name: example-format, version: "1"}'), "default/example-runtime",
         "auto-selected", builtins=BUILTINS),
    Case("2.4.2-sklearn-name-only-gets-kserve-sklearnserver",
         [EXAMPLE_RUNTIME], mdl(SK), "kserve-sklearnserver", "auto-selected", builtins=BUILTINS,
         passed={"default/example-runtime": FORMAT, "kserve-mlserver": PROTOCOL,
                 "kserve-predictiveserver": NOT_AUTO, "kserve-xgbserver": FORMAT},
         detail={"kserve-mlserver": ["v2"]}),
    Case("2.4.2-sklearn-1-gets-kserve-sklearnserver",
         [EXAMPLE_RUNTIME], mdl(SK1), "kserve-sklearnserver", "auto-selected", builtins=BUILTINS,
         passed={"default/example-runtime": FORMAT, "kserve-mlserver": PROTOCOL,
                 "kserve-predictiveserver": NOT_AUTO, "kserve-xgbserver": FORMAT}),
    Case("2.4.3-sklearn-0-v1-has-no-runtime-and-explain-blames-mlserver-protocol",
         [EXAMPLE_RUNTIME], mdl(SK0), None, "unresolved", ["KSC311"], builtins=BUILTINS,
         exact={"KSC311": "no runtime found to support predictor with model type: {sklearn 0}"},
         hint={"KSC311": ["kserve-mlserver", "protocolVersion: v2"]},
         passed={"default/example-runtime": FORMAT, "kserve-mlserver": PROTOCOL,
                 "kserve-predictiveserver": VERSION, "kserve-sklearnserver": VERSION,
                 "kserve-xgbserver": FORMAT},
         detail={"kserve-mlserver": ["sklearn:0", "only protocol v2", "v1"]}),
    Case("2.4.3-sklearn-0-v2-gets-kserve-mlserver",
         [EXAMPLE_RUNTIME], mdl(SK0, protocolVersion="v2"), "kserve-mlserver", "auto-selected",
         builtins=BUILTINS, protocol="v2",
         passed={"default/example-runtime": FORMAT, "kserve-predictiveserver": VERSION,
                 "kserve-sklearnserver": VERSION, "kserve-xgbserver": FORMAT}),
    Case("2.4.3-sklearn-v2-prefers-mlserver-priority-2",
         [], mdl(SK, protocolVersion="v2"), "kserve-mlserver", "auto-selected", builtins=BUILTINS,
         order=["kserve-mlserver", "kserve-sklearnserver"]),
    Case("2.4.4-named-kserve-mlserver-with-sklearn-gets-v2",
         [EXAMPLE_RUNTIME], mdl(SK, runtime="kserve-mlserver"), "kserve-mlserver", "explicit",
         builtins=BUILTINS, protocol="v2",
         passed={"default/example-runtime": NOT_NAMED, "kserve-sklearnserver": NOT_NAMED,
                 "kserve-predictiveserver": NOT_NAMED, "kserve-xgbserver": NOT_NAMED}),
    Case("2.4.4-named-kserve-predictiveserver-ignores-autoSelect",
         [], mdl(SK1, runtime="kserve-predictiveserver"), "kserve-predictiveserver", "explicit",
         builtins=BUILTINS),
    Case("2.4.5-legacy-sklearn-is-auto-selected-with-KSC230",
         [EXAMPLE_RUNTIME], "sklearn:\n  storageUri: gs://kfserving-examples/models/sklearn/1.0/model",
         "kserve-sklearnserver", "auto-selected", ["KSC230"], builtins=BUILTINS,
         severity={"KSC230": Severity.NOTICE}, message={"KSC230": ["predictor.sklearn", "auto-selects"]},
         passed={"default/example-runtime": FORMAT, "kserve-mlserver": PROTOCOL,
                 "kserve-predictiveserver": NOT_AUTO, "kserve-xgbserver": FORMAT}),
    Case("2.4.5-legacy-xgboost-is-auto-selected",
         [], "xgboost:\n  storageUri: gs://b/m", "kserve-xgbserver", "auto-selected", ["KSC230"],
         builtins=BUILTINS),
]


@pytest.mark.parametrize("case", [c.param() for c in SEED])
def test_seed_examples(case: Case) -> None:
    check(case)


def test_builtin_label_appears_in_explain() -> None:
    _, _, _, res = run([], mdl(SK0), builtins=BUILTINS)
    mlserver = next(p for p in res.passed_over if p.runtime.name == "kserve-mlserver")
    assert mlserver.runtime.builtin
    assert mlserver.runtime.label == "ClusterServingRuntime kserve-mlserver (built-in)"


def test_custom_predictor_has_no_runtime() -> None:
    _, _, diags, res = run([csr("x", auto("sklearn"))],
                           "containers:\n  - {name: kserve-container, image: my/server:1}")
    assert (res.runtime, res.how, res.diagnostics, res.passed_over) == (None, "custom", (), ())


def test_resolution_is_deterministic_regardless_of_input_order() -> None:
    texts = [csr(n, auto("sklearn", priority=p)) for n, p in [("d", 1), ("b", 2), ("c", 2), ("a", 1)]]
    results = set()
    for order in (texts, list(reversed(texts)), texts[1:] + texts[:1]):
        _, _, _, res = run(order, mdl(SK))
        results.add((res.runtime.name, tuple(rt.name for rt in res.candidates),
                     tuple(d.message for d in res.diagnostics)))
    assert len(results) == 1
    assert next(iter(results))[:2] == ("b", ("b", "c", "a", "d"))


def test_resolve_does_not_mutate_runtimes_or_isvc() -> None:
    import copy
    rts = load_runtimes([csr("kserve-mlserver", auto("sklearn", protocols="[v2]"))])
    isvc, _ = load_isvc(isvc_yaml(mdl(SK, runtime="kserve-mlserver")))
    before = (copy.deepcopy(rts[0].spec), copy.deepcopy(isvc.spec), dict(isvc.predictor.model))
    res = resolve.resolve(isvc, isvc.predictor, resolve.Runtimes(rts))
    assert res.protocol == "v2"
    assert (rts[0].spec, isvc.spec, isvc.predictor.model) == before
    assert isvc.predictor.protocol is None


def test_diagnostics_point_at_the_model() -> None:
    _, _, _, res = run([], mdl(SK, runtime="nope"))
    (d,) = res.diagnostics
    assert d.field == "spec.predictor.model.runtime"
    assert d.line == 10 and d.object.name == "my-model"


# ---------------------------------------------------------------------------------------------------
# Bugs: KServe v0.20.0 does otherwise (see each reason)


@pytest.mark.parametrize("runtime_text, predictor, protocol", [
    pytest.param(csr("kserve-sklearnserver", auto("sklearn", "1", 1, "[v1, v2]")), mdl(SK), "v1",
                 id="sklearnserver-v1-v2-gets-v1"),
    pytest.param(csr("custom-v2", auto("sklearn", protocols="[grpc-v2, v2]")), mdl(SK, runtime="custom-v2"),
                 "v2", id="named-runtime-listing-v2-grpc-v2-gets-v2"),
])
def test_effective_protocol_falls_back_to_lowest_listed(runtime_text, predictor, protocol) -> None:
    _, _, _, res = run([runtime_text], predictor)
    assert res.runtime is not None
    assert res.protocol == protocol


def test_empty_runtime_name_is_explicit_and_not_found() -> None:
    _, _, _, res = run([csr("x", auto("sklearn"))], mdl(SK, runtime='""'))
    assert res.runtime is None
    assert [d.code for d in res.diagnostics] == ["KSC301"]
    assert res.diagnostics[0].message == NOT_FOUND.format("")


def test_empty_protocol_version_is_supported_by_every_runtime() -> None:
    _, _, _, res = run([csr("v2only", auto("sklearn", protocols="[v2]"))], mdl(SK, protocolVersion='""'))
    assert res.runtime is not None and res.runtime.name == "v2only"


def test_a_misspelt_runtime_name_gets_a_did_you_mean():
    _, _, _, res = run([], """\
        model: {modelFormat: {name: sklearn}, runtime: kserve-sklearn-server}
        """, builtins=[SKLEARNSERVER_FOR_HINT])
    assert [d.code for d in res.diagnostics] == [resolve.RUNTIME_NOT_FOUND]
    assert res.diagnostics[0].hint.startswith("did you mean kserve-sklearnserver? ")


SKLEARNSERVER_FOR_HINT = """\
apiVersion: serving.kserve.io/v1alpha1
kind: ClusterServingRuntime
metadata: {name: kserve-sklearnserver}
spec:
  supportedModelFormats: [{name: sklearn, version: "1", autoSelect: true, priority: 1}]
  containers: [{name: kserve-container, image: kserve/sklearnserver:v0.20.0}]
"""
