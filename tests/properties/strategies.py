"""Hypothesis strategies for small, valid KServe repos (issue 7).

A `Repo` is plain data: runtimes (namespaced ServingRuntimes and ClusterServingRuntimes), InferenceServices and a
few pass-through objects. Everything generated passes our schemas and KServe's admission webhooks:

- runtimes draw their formats, versions, autoSelect, protocols, `disabled` and `multiModel` at random; every
  runtime that sets a priority gets one no other runtime uses (10 and up: the catalog uses 1-3), and one runtime
  gives all its autoSelect entries the same priority, so the webhook's same-priority rules never fire;
- InferenceServices use `predictor.model` (auto-selected or with an explicit `runtime:`), the legacy
  `predictor.<framework>` form, or custom containers; storage is s3, gs, pvc, https, hf or oci; some have a
  transformer.

`repos()` makes repos whose every InferenceService resolves (each one is drawn from a runtime that can serve it:
an enabled, single-model runtime visible in its namespace, or a built-in one), so a build succeeds.
`resolution_cases()` makes runtimes and InferenceServices with no such care, to exercise every rule of runtime
selection, failures included.

`Repo.write(root, layout)` writes the documents as files; a `Layout` decides which document goes to which
file, in which order, and the order the files are created in (`layouts(repo)` draws one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from hypothesis import strategies as st

RUNTIME_API = "serving.kserve.io/v1alpha1"
ISVC_API = "serving.kserve.io/v1beta1"
NAMESPACES = ("default", "models", "team-a")
PROTOCOLS = ("v1", "v2", "grpc-v1", "grpc-v2")
# Format names of our own runtimes: a few the catalog also serves (so ours compete with the built-in ones)
# and a few only ours serve. Never triton or vLLM: KServe's defaulter gives those protocol v2 on its own.
FORMATS = ("sklearn", "xgboost", "acme-tabular", "acme-vision", "TeamFormat")
VERSIONS = ("1", "2", "3")
# Built-in runtimes an InferenceService may rely on: (runtime, format, version, protocols).
# Auto-selectable for v1 and v2 (catalog/*.yaml): each format:version has autoSelect: true there.
CATALOG_AUTO = (("kserve-sklearnserver", "sklearn", "1"), ("kserve-xgbserver", "xgboost", "2"),
                ("kserve-lgbserver", "lightgbm", "4"), ("kserve-tensorflow-serving", "tensorflow", "2"),
                ("kserve-torchserve", "pytorch", "1"))
CATALOG_EXPLICIT = (("kserve-sklearnserver", "sklearn", "1"), ("kserve-xgbserver", "xgboost", "2"),
                    ("kserve-mlserver", "sklearn", "1"), ("kserve-torchserve", "pytorch", "1"))
LEGACY = ("sklearn", "xgboost", "tensorflow", "pytorch", "lightgbm")  # predictor.<framework>, via the catalog


def storage_uris() -> st.SearchStrategy[str]:
    word = st.sampled_from(("iris", "fraud", "churn", "mnist", "v1", "v7", "2024-06"))
    return st.one_of(
        st.builds("s3://acme-models/{}/{}".format, word, word),
        st.builds("gs://kfserving-examples/models/{}/{}".format, word, word),
        st.builds("pvc://models-pvc/{}".format, word),
        st.builds("https://models.acme.example/{}.tar.gz".format, word),
        st.builds("hf://acme/{}".format, word),
        st.builds("oci://quay.io/acme/{}:1.0".format, word),
    )


# ---------------------------------------------------------------------------------------------------
# Repos


@dataclass
class Repo:
    runtimes: list[dict] = field(default_factory=list)
    services: list[dict] = field(default_factory=list)
    extras: list[dict] = field(default_factory=list)  # pass-through objects (Namespaces, ConfigMaps)

    @property
    def documents(self) -> list[dict]:
        return self.runtimes + self.services + self.extras

    def write(self, root: Path, layout: "Layout | None" = None) -> list[Path]:
        """Write every document; return the files in the order they were created."""
        layout = layout or Layout.default(len(self.documents))
        docs = self.documents
        root.mkdir(parents=True, exist_ok=True)
        written = []
        for name in layout.creation_order:
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(dump_all([docs[i] for i in layout.files[name]]))
            written.append(path)
        return written


@dataclass
class Layout:
    """files: {relative path: indexes of Repo.documents, in file order}; creation_order: the files' order
    of creation (a folder walk sorts names, so this must not matter)."""
    files: dict[str, list[int]]
    creation_order: list[str]

    @classmethod
    def default(cls, count: int) -> "Layout":
        files = {f"doc-{i:03d}.yaml": [i] for i in range(count)}
        return cls(files, sorted(files))


def dump_all(docs: list[dict]) -> str:
    return yaml.safe_dump_all(docs, sort_keys=False, default_flow_style=False, allow_unicode=True)


@st.composite
def layouts(draw, repo: Repo) -> Layout:
    """Any grouping of the repo's documents into 1..n files (some in sub-folders), any order within a file,
    any creation order."""
    count = len(repo.documents)
    order = draw(st.permutations(range(count)))
    n_files = draw(st.integers(1, max(1, min(count, 6))))
    cuts = sorted(draw(st.lists(st.integers(1, max(1, count - 1)), min_size=n_files - 1, max_size=n_files - 1,
                                unique=True))) if count > 1 and n_files > 1 else []
    groups, start = [], 0
    for cut in [*cuts, count]:
        if cut > start:
            groups.append(list(order[start:cut]))
        start = cut
    folders = draw(st.lists(st.sampled_from(("", "a/", "b/", "a/c/", "z/")), min_size=len(groups),
                            max_size=len(groups)))
    files = {f"{folder}f{i:02d}.yaml": group for i, (folder, group) in enumerate(zip(folders, groups))}
    creation = draw(st.permutations(sorted(files)))
    return Layout(files, list(creation))


def _container(image: str, *, placeholders: bool) -> dict:
    # {{.Labels.team}}: InferenceServices without that label render it empty, with a warning (KSC402)
    args = ["--model_name={{.Name}}", "--namespace={{ .Namespace }}", "--team={{.Labels.team}}",
            "--model_dir=/mnt/models"] if placeholders else ["--model_dir=/mnt/models"]
    return {"name": "kserve-container", "image": image, "args": args,
            "resources": {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}}}


@st.composite
def runtime_docs(draw, count: st.SearchStrategy[int] = st.integers(0, 6)) -> list[dict]:
    """Namespaced and cluster runtimes with random formats, versions, autoSelect, priorities, protocols,
    disabled and multiModel; no two of them (nor any with the catalog) trip the same-priority rules."""
    n = draw(count)
    priorities = draw(st.lists(st.integers(10, 999), min_size=n, max_size=n, unique=True))
    out = []
    for i in range(n):
        cluster = draw(st.booleans())
        meta: dict = {"name": f"rt-{i}"}
        if not cluster:
            ns = draw(st.sampled_from((None, *NAMESPACES)))
            if ns is not None:
                meta["namespace"] = ns
        priority = priorities[i] if draw(st.booleans()) else None
        names = draw(st.lists(st.sampled_from(FORMATS), min_size=1, max_size=3, unique=True))
        formats = []
        for name in names:
            entry: dict = {"name": name}
            version = draw(st.sampled_from((None, *VERSIONS)))
            if version is not None:
                entry["version"] = version
            auto = draw(st.sampled_from((None, True, False)))
            if auto is not None:
                entry["autoSelect"] = auto
            if priority is not None and auto:
                entry["priority"] = priority
            formats.append(entry)
        spec: dict = {"supportedModelFormats": formats}
        protocols = draw(st.one_of(st.none(), st.lists(st.sampled_from(PROTOCOLS), min_size=1, max_size=3,
                                                        unique=True)))
        if protocols is not None:
            spec["protocolVersions"] = protocols
        for flag in ("disabled", "multiModel"):
            value = draw(st.sampled_from((None, False, True)))
            if value is not None:
                spec[flag] = value
        if draw(st.booleans()):
            spec["annotations"] = {"prometheus.kserve.io/port": "8080"}
        spec["containers"] = [_container(f"registry.acme.example/server-{i}:1.{i}.0",
                                         placeholders=draw(st.booleans()))]
        out.append({"apiVersion": RUNTIME_API, "kind": "ClusterServingRuntime" if cluster else "ServingRuntime",
                    "metadata": meta, "spec": spec})
    return out


def _namespace_of(doc: dict) -> str:
    return doc["metadata"].get("namespace") or "default"


def serving_options(runtimes: list[dict], namespace: str) -> tuple[list[tuple], list[tuple]]:
    """Ways a model in `namespace` is sure to resolve, as (our runtimes' options, the catalog's): each
    ("auto" | "explicit" | "legacy", runtime name, format, version, protocol or None). A runtime qualifies when
    it is enabled, single-model and visible in the namespace; "auto" also needs the entry's autoSelect."""
    options: list[tuple] = []
    for rt in runtimes:
        spec = rt["spec"]
        if spec.get("disabled") is True or spec.get("multiModel") is True:
            continue
        if rt["kind"] == "ServingRuntime" and _namespace_of(rt) != namespace:
            continue
        protocols = spec.get("protocolVersions")
        for entry in spec["supportedModelFormats"]:
            version = entry.get("version")
            for mode in ("auto", "explicit") if entry.get("autoSelect") is True else ("explicit",):
                for protocol in protocols or (None, "v1", "v2"):
                    options.append((mode, rt["metadata"]["name"], entry["name"], version, protocol))
    builtin: list[tuple] = []
    for name, fmt, version in CATALOG_AUTO:
        builtin += [("auto", name, fmt, version, None), ("auto", name, fmt, version, "v2")]
    builtin += [("explicit", name, fmt, version, None) for name, fmt, version in CATALOG_EXPLICIT]
    builtin += [("legacy", None, fw, None, None) for fw in LEGACY]
    return options, builtin


@st.composite
def _model(draw, option: tuple) -> tuple[str, dict]:
    """(the predictor key, its block) for one serving option."""
    mode, runtime, fmt, version, protocol = option
    uri = draw(storage_uris())
    if mode == "legacy":
        return fmt, {"storageUri": uri}
    model_format = {"name": fmt}
    # A runtime entry without a version serves only models without one; with one, both forms resolve.
    if version is not None and draw(st.booleans()):
        model_format["version"] = version
    model: dict = {"modelFormat": model_format}
    if mode == "explicit":
        model["runtime"] = runtime
    if protocol is not None and (protocol != "v1" or draw(st.booleans())):
        model["protocolVersion"] = protocol
    model["storageUri"] = uri
    if draw(st.booleans()):
        model["resources"] = {"limits": {"memory": draw(st.sampled_from(("2Gi", "4Gi", "6Gi")))}}
    return "model", model


def _transformer() -> dict:
    return {"containers": [{"name": "transformer", "image": "registry.acme.example/transformer:1.0",
                            "args": ["--predictor_host", "x"]}]}


@st.composite
def service_docs(draw, runtimes: list[dict], count: st.SearchStrategy[int] = st.integers(1, 6)) -> list[dict]:
    """InferenceServices that all resolve against `runtimes` plus the built-in catalog."""
    out = []
    for i in range(draw(count)):
        ns = draw(st.sampled_from((None, *NAMESPACES)))
        meta: dict = {"name": f"m-{i}"}
        if ns is not None:
            meta["namespace"] = ns
        if draw(st.booleans()):
            meta["labels"] = {"team": draw(st.sampled_from(("risk", "vision")))}
        predictor: dict = {}
        if draw(st.integers(0, 9)) == 0:
            predictor["containers"] = [{"name": "kserve-container", "image": "registry.acme.example/custom:2.0",
                                        "args": ["--port=8080"]}]
        else:
            own, builtin = serving_options(runtimes, ns or "default")
            if own and draw(st.integers(0, 9)) < 6:
                mode = draw(st.sampled_from(sorted({o[0] for o in own})))
                option = draw(st.sampled_from([o for o in own if o[0] == mode]))
            else:
                option = draw(st.sampled_from(builtin))
            key, block = draw(_model(option))
            predictor[key] = block
        if draw(st.booleans()):
            low = draw(st.integers(0, 3))
            predictor["minReplicas"] = low
            predictor["maxReplicas"] = draw(st.integers(max(low, 1), 5))
        spec: dict = {"predictor": predictor}
        if draw(st.integers(0, 3)) == 0:
            spec["transformer"] = _transformer()
        out.append({"apiVersion": ISVC_API, "kind": "InferenceService", "metadata": meta, "spec": spec})
    return out


@st.composite
def extra_docs(draw) -> list[dict]:
    out = []
    for ns in draw(st.lists(st.sampled_from(NAMESPACES[1:]), unique=True, max_size=2)):
        out.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    if draw(st.booleans()):
        out.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": "models"},
                    "data": {"mode": "on", "replicas": "3", "flag": "true"}})
    return out


@st.composite
def repos(draw, max_runtimes: int = 6, max_services: int = 6) -> Repo:
    """A repo that builds: every InferenceService resolves (see the module docstring)."""
    runtimes = draw(runtime_docs(st.integers(0, max_runtimes)))
    services = draw(service_docs(runtimes, st.integers(1, max_services)))
    return Repo(runtimes, services, draw(extra_docs()))


# ---------------------------------------------------------------------------------------------------
# Resolution: anything goes


@st.composite
def any_service_docs(draw, runtimes: list[dict], count: st.SearchStrategy[int] = st.integers(1, 8)) -> list[dict]:
    """InferenceServices with no care for resolving: any format, version, protocol, and explicit runtime
    names that are disabled, multiModel, in another namespace, or missing."""
    names = [rt["metadata"]["name"] for rt in runtimes] + [name for name, _, _ in CATALOG_EXPLICIT] + ["nowhere"]
    out = []
    for i in range(draw(count)):
        ns = draw(st.sampled_from((None, *NAMESPACES)))
        meta: dict = {"name": f"m-{i}"}
        if ns is not None:
            meta["namespace"] = ns
        fmt: dict = {"name": draw(st.sampled_from(FORMATS + ("lightgbm", "pytorch", "unknown")))}
        version = draw(st.sampled_from((None, *VERSIONS, "4")))
        if version is not None:
            fmt["version"] = version
        model: dict = {"modelFormat": fmt}
        if draw(st.booleans()):
            model["runtime"] = draw(st.sampled_from(names))
        protocol = draw(st.sampled_from((None, *PROTOCOLS)))
        if protocol is not None:
            model["protocolVersion"] = protocol
        model["storageUri"] = draw(storage_uris())
        out.append({"apiVersion": ISVC_API, "kind": "InferenceService", "metadata": meta,
                    "spec": {"predictor": {"model": model}}})
    return out


@st.composite
def resolution_cases(draw) -> Repo:
    runtimes = draw(runtime_docs(st.integers(0, 8)))
    return Repo(runtimes, draw(any_service_docs(runtimes)))
