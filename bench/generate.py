"""Generate a realistic synthetic GitOps repo for the benchmark (issue 6, docs/design.md Decision 13).

    python bench/generate.py --n 10000 -o bench/out/repo-10000 [--seed 6]

The repo (deterministic for a given --n and --seed, byte for byte):

    config/inferenceservice-config.yaml     the cluster's inferenceservice-config (Standard mode)
    cluster-runtimes/<a>.yaml ...           10 ClusterServingRuntimes, two or three per file
    namespaces/<ns>/namespace.yaml          the Namespace (passed through by the compiler)
    namespaces/<ns>/runtimes.yaml           that namespace's ServingRuntimes, where it has any
    namespaces/<ns>/models/<app>.yaml       1-5 InferenceServices per file

N InferenceServices over ceil(N/200) namespaces, 200 per namespace. 20 runtimes in all: 10 cluster,
10 namespaced (runtime k lives in namespace k mod the namespace count). Their autoSelect priorities
never clash under KServe's ServingRuntime webhook rule (same scope, format, version, protocol and
priority), also not with the built-in catalog, and no two candidates ever tie.

The InferenceService mix (approximate shares):
  - autoSelect (modelFormat, no runtime)          ~45%: sklearn, xgboost, lightgbm, tensorflow,
                                                        pytorch, huggingface, and the runtimes' own formats
  - explicit runtime (model.runtime: NAME)        ~30%: cluster runtimes, the namespace's own, catalog ones
  - legacy schema (predictor.sklearn: ...)        ~25%: sklearn, xgboost, tensorflow, pytorch, lightgbm, onnx
  - a transformer in front of the predictor       ~10% (7 objects instead of 4)
  - storage: s3 ~40%, gs ~30%, pvc ~20%, hf for Hugging Face models, a few https
Every one compiles without errors (notices and the legacy-form notice only). Objects per
InferenceService: Deployment, Service, HPA per component, plus the Ingress: 4, or 7 with a transformer.
"""

from __future__ import annotations

import argparse
import math
import random
import shutil
import sys
from pathlib import Path

import yaml

PER_NAMESPACE = 200
RUNTIME_API = "serving.kserve.io/v1alpha1"
ISVC_API = "serving.kserve.io/v1beta1"

TEAMS = ("risk", "search", "ads", "vision", "nlp", "pricing", "growth", "support", "ops", "health")
APPS = ("fraud", "churn", "ranker", "ctr", "iris", "mnist", "flowers", "sentiment", "embed", "forecast",
        "anomaly", "recsys", "ltv", "spam", "ocr", "translate", "summarize", "detect", "segment", "score")
BUCKETS = ("acme-models", "acme-ml-prod", "ml-artifacts", "team-models")
HF_MODELS = ("bert-base-uncased", "distilbert-base-uncased-finetuned-sst-2-english", "t5-small",
             "sentence-transformers/all-MiniLM-L6-v2", "facebook/opt-125m", "google/flan-t5-base")
CPU = ("100m", "250m", "500m", "1", "2")
MEM = ("256Mi", "512Mi", "1Gi", "2Gi", "4Gi")


# ---------------------------------------------------------------------------------------------------
# Runtimes


def _container(image: str, args: list[str], cpu: str, mem: str, **extra) -> dict:
    c = {"name": "kserve-container", "image": image}
    if args:
        c["args"] = args
    c.update(extra)
    c["resources"] = {"requests": {"cpu": cpu, "memory": mem}, "limits": {"cpu": cpu, "memory": mem}}
    return c


def _runtime(kind: str, name: str, formats: list[dict], protocols: list[str], container: dict,
             namespace: str | None = None, **spec_extra) -> dict:
    meta = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    spec = {}
    if "annotations" in spec_extra:
        spec["annotations"] = spec_extra.pop("annotations")
    if "labels" in spec_extra:
        spec["labels"] = spec_extra.pop("labels")
    spec["supportedModelFormats"] = formats
    spec["protocolVersions"] = protocols
    spec.update(spec_extra)
    spec["containers"] = [container]
    return {"apiVersion": RUNTIME_API, "kind": kind, "metadata": meta, "spec": spec}


def _fmt(name: str, version: str, auto: bool = False, priority: int | None = None) -> dict:
    f = {"name": name, "version": version}
    if auto:
        f["autoSelect"] = True
    if priority is not None:
        f["priority"] = priority
    return f


KSERVE_ARGS = ["--model_name={{.Name}}", "--model_dir=/mnt/models", "--http_port=8080"]
PROM = {"prometheus.kserve.io/path": "/metrics", "prometheus.kserve.io/port": "8080"}

# name -> (formats the runtime serves by autoSelect {(format, version)}, by name only {(format, version)},
#          protocols); the generator picks models from these tables so that every model resolves.
CLUSTER_RUNTIMES = [
    _runtime("ClusterServingRuntime", "acme-xgboost", [_fmt("xgboost", "2")], ["v1", "v2"],
             _container("registry.acme.example/xgbserver:2.1.0", KSERVE_ARGS + ["--nthread=2"], "2", "4Gi"),
             annotations=PROM, labels={"team": "platform"}, nodeSelector={"acme.example/pool": "cpu-inference"}),
    _runtime("ClusterServingRuntime", "acme-sklearn-v2", [_fmt("sklearn", "1", True, 5)], ["v2"],
             _container("registry.acme.example/sklearn-v2:1.3.0", KSERVE_ARGS, "1", "2Gi",
                        env=[{"name": "PROTOCOL", "value": "v2"}]),
             annotations=PROM),
    _runtime("ClusterServingRuntime", "acme-onnx", [_fmt("onnx", "1")], ["v2", "grpc-v2"],
             _container("registry.acme.example/onnx-server:0.9.4", ["--model-store=/mnt/models", "--http-port=8080",
                                                                      "--grpc-port=9000"], "2", "4Gi",
                        ports=[{"name": "http", "containerPort": 8080, "protocol": "TCP"}]),
             tolerations=[{"key": "dedicated", "operator": "Equal", "value": "inference", "effect": "NoSchedule"}]),
    _runtime("ClusterServingRuntime", "acme-llm", [_fmt("llm", "1", True, 1)], ["v1", "v2"],
             _container("registry.acme.example/llm-server:0.4.2", ["--model_name={{.Name}}", "--model_dir=/mnt/models",
                                                                     "--max_length=4096"], "4", "16Gi",
                        env=[{"name": "HF_HOME", "value": "/tmp/hf"}, {"name": "OMP_NUM_THREADS", "value": "4"}]),
             annotations=PROM, labels={"team": "nlp"}),
    _runtime("ClusterServingRuntime", "acme-embeddings", [_fmt("embeddings", "1", True, 1)], ["v1"],
             _container("registry.acme.example/embeddings:2.0.1", KSERVE_ARGS, "1", "2Gi")),
    _runtime("ClusterServingRuntime", "acme-rules", [_fmt("rules", "2", True, 1)], ["v1"],
             _container("registry.acme.example/rules-engine:5.2.0", ["--rules_dir=/mnt/models", "--port=8080"],
                        "500m", "512Mi", env=[{"name": "RULES_STRICT", "value": "true"}])),
    _runtime("ClusterServingRuntime", "acme-tensorflow", [_fmt("tensorflow", "2")], ["v1", "grpc-v1"],
             _container("tensorflow/serving:2.14.1", ["--model_name={{.Name}}", "--port=9000",
                                                      "--rest_api_port=8080", "--model_base_path=/mnt/models"],
                        "2", "4Gi", command=["/usr/bin/tensorflow_model_server"])),
    _runtime("ClusterServingRuntime", "acme-pytorch", [_fmt("pytorch", "1")], ["v1", "v2"],
             _container("registry.acme.example/torch-server:2.2.0", KSERVE_ARGS, "2", "8Gi"),
             annotations=PROM),
    _runtime("ClusterServingRuntime", "acme-lightgbm", [_fmt("lightgbm", "4", True, 3)], ["v1", "v2"],
             _container("registry.acme.example/lgbserver:4.3.0", KSERVE_ARGS + ["--nthread=2"], "1", "2Gi")),
    _runtime("ClusterServingRuntime", "acme-xgboost-legacy", [_fmt("xgboost", "1", True, 1)], ["v1"],
             _container("registry.acme.example/xgbserver:1.7.6", KSERVE_ARGS, "1", "2Gi"), disabled=True),
]


def namespace_runtimes(namespaces: list[str]) -> list[dict]:
    """10 ServingRuntimes; runtime k in namespaces[k % len]. Even k: the team's own format (autoSelect);
    k 1, 5: sklearn:1 autoSelect at priorities 11, 15 (beat the catalog in their namespace); k 3, 7:
    xgboost:2 by name only; k 9: huggingface:1 autoSelect at priority 19."""
    out = []
    for k in range(10):
        ns = namespaces[k % len(namespaces)]
        name = f"team-runtime-{k}"
        image = f"registry.acme.example/{ns}/server-{k}:1.{k}.0"
        if k % 2 == 0:
            formats, protocols = [_fmt(f"team-format-{k}", "1", True, 1)], ["v1"]
        elif k in (1, 5):
            formats, protocols = [_fmt("sklearn", "1", True, 10 + k)], ["v1", "v2"]
        elif k in (3, 7):
            formats, protocols = [_fmt("xgboost", "2")], ["v1"]
        else:
            formats, protocols = [_fmt("huggingface", "1", True, 10 + k)], ["v1", "v2"]
        extra = {"labels": {"team": TEAMS[k]}} if k % 3 == 0 else {}
        out.append(_runtime("ServingRuntime", name, formats, protocols,
                            _container(image, KSERVE_ARGS, CPU[k % 5], MEM[k % 5]), namespace=ns, **extra))
    return out


# ---------------------------------------------------------------------------------------------------
# InferenceServices


def _storage(rng: random.Random, app: str, team: str, i: int) -> str:
    r = rng.random()
    if r < 0.45:
        return f"s3://{rng.choice(BUCKETS)}/{team}/{app}/v{rng.randint(1, 40)}"
    if r < 0.78:
        return f"gs://{rng.choice(BUCKETS)}-gcs/{team}/{app}/{rng.randint(1, 12)}.{rng.randint(0, 9)}"
    if r < 0.97:
        return f"pvc://{team}-models/{app}-{i}" if rng.random() < 0.8 else f"pvc://{team}-models"
    return f"https://models.acme.example/{team}/{app}-{i}.tar.gz"


def _resources(rng: random.Random) -> dict:
    cpu, mem = rng.choice(CPU), rng.choice(MEM)
    if rng.random() < 0.5:  # a higher memory limit only; above every runtime's request (16Gi at most)
        return {"limits": {"memory": rng.choice(("16Gi", "24Gi", "32Gi"))}}
    return {"requests": {"cpu": cpu, "memory": mem}, "limits": {"cpu": cpu, "memory": mem}}


def _model_choice(rng: random.Random, ns_runtimes: list[dict]) -> tuple[str, dict]:
    """('auto'|'explicit'|'legacy', predictor fields for the model part)."""
    r = rng.random()
    if r < 0.45:  # autoSelect
        choices = [("sklearn", "1"), ("sklearn", None), ("xgboost", "2"), ("xgboost", None), ("lightgbm", None),
                   ("lightgbm", "4"), ("tensorflow", None), ("pytorch", None), ("huggingface", None),
                   ("llm", "1"), ("embeddings", "1"), ("rules", "2")]
        choices += [(rt["spec"]["supportedModelFormats"][0]["name"], "1") for rt in ns_runtimes
                    if rt["spec"]["supportedModelFormats"][0]["name"].startswith("team-format-")]
        name, version = rng.choice(choices)
        fmt = {"name": name} if version is None else {"name": name, "version": version}
        model = {"modelFormat": fmt}
        if name == "sklearn" and version == "1" and rng.random() < 0.3:
            model["protocolVersion"] = "v2"
        return "auto", model
    if r < 0.75:  # explicit runtime
        choices = [("acme-xgboost", "xgboost", "2"), ("acme-onnx", "onnx", "1"), ("acme-tensorflow", "tensorflow", "2"),
                   ("acme-pytorch", "pytorch", None), ("acme-llm", "llm", "1"), ("acme-sklearn-v2", "sklearn", None),
                   ("kserve-mlserver", "sklearn", "1"), ("kserve-sklearnserver", "sklearn", "1"),
                   ("kserve-xgbserver", "xgboost", "2"), ("kserve-torchserve", "pytorch", "1")]
        choices += [(rt["metadata"]["name"], rt["spec"]["supportedModelFormats"][0]["name"], None)
                    for rt in ns_runtimes]
        runtime, name, version = rng.choice(choices)
        fmt = {"name": name} if version is None else {"name": name, "version": version}
        return "explicit", {"modelFormat": fmt, "runtime": runtime}
    framework = rng.choice(("sklearn", "sklearn", "xgboost", "tensorflow", "pytorch", "lightgbm", "onnx"))
    return "legacy", {"_framework": framework}


def inference_service(rng: random.Random, i: int, ns: str, ns_runtimes: list[dict]) -> dict:
    app, team = APPS[i % len(APPS)], TEAMS[(i // 7) % len(TEAMS)]
    name = f"{app}-{i:05d}"
    meta: dict = {"name": name, "namespace": ns}
    labels = {"team": team, "app.kubernetes.io/part-of": app}
    if rng.random() < 0.3:
        labels["environment"] = rng.choice(("prod", "staging"))
    meta["labels"] = labels
    if rng.random() < 0.25:
        meta["annotations"] = {"acme.example/owner": f"{team}@acme.example",
                               "acme.example/ticket": f"ML-{rng.randint(1000, 9999)}"}
    if rng.random() < 0.1:
        meta.setdefault("annotations", {})["serving.kserve.io/deploymentMode"] = "RawDeployment"
    how, model = _model_choice(rng, ns_runtimes)
    fmt_name = model.get("_framework") or model["modelFormat"]["name"]
    if fmt_name in ("huggingface", "llm") and rng.random() < 0.8:
        uri = f"hf://{rng.choice(HF_MODELS)}"
    else:
        uri = _storage(rng, app, team, i)
    predictor: dict = {}
    if rng.random() < 0.6:
        lo = rng.randint(1, 3)
        predictor["minReplicas"] = lo
        predictor["maxReplicas"] = lo + rng.randint(0, 7)
    if rng.random() < 0.3:
        predictor["scaleMetric"] = rng.choice(("cpu", "memory"))
        predictor["scaleTarget"] = rng.choice((50, 60, 70, 80))
    if rng.random() < 0.15:
        predictor["serviceAccountName"] = f"{team}-models"
    if rng.random() < 0.1:
        predictor["nodeSelector"] = {"acme.example/pool": rng.choice(("cpu-inference", "highmem"))}
    block: dict
    if how == "legacy":
        block = {"storageUri": uri}
        predictor[model["_framework"]] = block
    else:
        block = dict(model)
        block["storageUri"] = uri
        predictor["model"] = block
    if rng.random() < 0.5:
        block["resources"] = _resources(rng)
    if rng.random() < 0.2:
        block["env"] = [{"name": "LOG_LEVEL", "value": rng.choice(("info", "debug", "warning"))}]
    spec: dict = {"predictor": predictor}
    if rng.random() < 0.1:
        tr = {"name": "transformer", "image": f"registry.acme.example/{team}/{app}-transformer:1.{rng.randint(0, 9)}.0"}
        if rng.random() < 0.5:
            tr["env"] = [{"name": "FEATURE_STORE", "value": f"http://feast.{ns}.svc:6566"}]
        if rng.random() < 0.5:
            tr["resources"] = {"requests": {"cpu": "500m", "memory": "512Mi"},
                               "limits": {"cpu": "1", "memory": "1Gi"}}
        spec = {"transformer": {"containers": [tr]}, "predictor": predictor}
    return {"apiVersion": ISVC_API, "kind": "InferenceService", "metadata": meta, "spec": spec}


# ---------------------------------------------------------------------------------------------------
# The repo


CONFIG = """\
# The cluster's inferenceservice-config (generated by bench/generate.py).
apiVersion: v1
kind: ConfigMap
metadata:
  name: inferenceservice-config
  namespace: kserve
data:
  deploy: |-
    {"defaultDeploymentMode": "Standard"}
  ingress: |-
    {
      "enableGatewayApi": false,
      "kserveIngressGateway": "kserve/kserve-ingress-gateway",
      "ingressGateway": "knative-serving/knative-ingress-gateway",
      "ingressDomain": "models.acme.example",
      "ingressClassName": "istio",
      "domainTemplate": "{{ .Name }}-{{ .Namespace }}.{{ .IngressDomain }}",
      "urlScheme": "https"
    }
  storageInitializer: |-
    {
      "image": "kserve/storage-initializer:v0.20.0",
      "memoryRequest": "100Mi",
      "memoryLimit": "1Gi",
      "cpuRequest": "100m",
      "cpuLimit": "1",
      "caBundleConfigMapName": "",
      "caBundleVolumeMountPath": "/etc/ssl/custom-certs",
      "enableModelcar": true,
      "cpuModelcar": "10m",
      "memoryModelcar": "15Mi",
      "uidModelcar": 1010
    }
  inferenceService: |-
    {
      "resource": {"cpuLimit": "1", "memoryLimit": "2Gi", "cpuRequest": "1", "memoryRequest": "2Gi"}
    }
"""


def _dump(docs: list[dict], header: str) -> str:
    body = "---\n".join(yaml.dump(d, Dumper=yaml.SafeDumper, sort_keys=False, default_flow_style=False,
                                  width=120) for d in docs)
    return f"# {header}\n{body}"


def namespaces_for(n: int) -> list[str]:
    count = max(1, math.ceil(n / PER_NAMESPACE))
    return [f"ml-{k:03d}" for k in range(count)]


def generate(n: int, out: Path, seed: int = 6) -> dict:
    """Write the repo to `out` (replaced if it exists). Returns counts."""
    rng = random.Random(f"kserve-compiler-bench:{seed}")
    if out.exists():
        shutil.rmtree(out)
    files: dict[str, str] = {}
    namespaces = namespaces_for(n)
    files["config/inferenceservice-config.yaml"] = CONFIG
    chunks = [CLUSTER_RUNTIMES[0:3], CLUSTER_RUNTIMES[3:5], CLUSTER_RUNTIMES[5:8], CLUSTER_RUNTIMES[8:10]]
    for chunk in chunks:
        files[f"cluster-runtimes/{chunk[0]['metadata']['name']}.yaml"] = _dump(chunk, "Cluster-wide runtimes.")
    ns_runtimes = namespace_runtimes(namespaces)
    by_ns: dict[str, list[dict]] = {ns: [] for ns in namespaces}
    for rt in ns_runtimes:
        by_ns[rt["metadata"]["namespace"]].append(rt)
    isvcs = 0
    transformers = 0
    for k, ns in enumerate(namespaces):
        base = f"namespaces/{ns}"
        files[f"{base}/namespace.yaml"] = _dump([{"apiVersion": "v1", "kind": "Namespace",
                                                  "metadata": {"name": ns, "labels": {"acme.example/tier": "ml"}}}],
                                                "Passed through unchanged.")
        if by_ns[ns]:
            files[f"{base}/runtimes.yaml"] = _dump(by_ns[ns], f"The {ns} team's own runtimes.")
        first, last = k * PER_NAMESPACE, min(n, (k + 1) * PER_NAMESPACE)
        i = first
        while i < last:
            size = min(rng.randint(1, 5), last - i)
            docs = [inference_service(rng, j, ns, by_ns[ns]) for j in range(i, i + size)]
            transformers += sum("transformer" in d["spec"] for d in docs)
            files[f"{base}/models/{docs[0]['metadata']['name']}.yaml"] = _dump(docs, f"Models of {ns}.")
            isvcs += size
            i += size
    for rel, text in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return {"inference_services": isvcs, "transformers": transformers, "namespaces": len(namespaces),
            "runtimes": len(CLUSTER_RUNTIMES) + len(ns_runtimes), "files": len(files),
            "bytes": sum(len(t.encode()) for t in files.values()),
            "expected_objects": 4 * isvcs + 3 * transformers + len(namespaces)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000, help="number of InferenceServices (default 1000)")
    ap.add_argument("-o", "--out", type=Path, required=True, help="repo folder to write (replaced)")
    ap.add_argument("--seed", type=int, default=6, help="random seed (default 6)")
    args = ap.parse_args(argv)
    if args.n < 1:
        ap.error("--n must be at least 1")
    counts = generate(args.n, args.out, args.seed)
    print(" ".join(f"{k}={v}" for k, v in counts.items()), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
