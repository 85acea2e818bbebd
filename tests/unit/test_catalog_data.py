"""The built-in catalog: KServe v0.20.0's ClusterServingRuntimes and ClusterStorageContainer `default`.

The expected values below are the facts of docs/kserve-behaviour.md §0.1 and §7, written out
independently of the catalog files, so a wrong value in a file fails here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

CATALOG = Path(__file__).resolve().parents[2] / "catalog"
STORAGE_FILE = "storage-initializer-default.yaml"

KSERVE_ARGS = ["--model_name={{.Name}}", "--model_dir=/mnt/models", "--http_port=8080"]
DEFAULT_RESOURCES = {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"cpu": "1", "memory": "2Gi"}}
SC_DEFAULT = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "privileged": False,
    "runAsNonRoot": True,
}
SC_UID_1000 = {**SC_DEFAULT, "runAsUser": 1000}
SC_NO_NONROOT = {k: v for k, v in SC_DEFAULT.items() if k != "runAsNonRoot"}
DEVSHM_VOLUMES = [{"name": "devshm", "emptyDir": {"medium": "Memory"}}]
DEVSHM_MOUNTS = [{"name": "devshm", "mountPath": "/dev/shm"}]
ABSENT = object()  # a key that must not be there


def fmt(name: str, version: str, auto: bool | None = True, priority: int | None = 1) -> tuple:
    """(name, version, autoSelect, priority); None = the key is absent."""
    return (name, version, auto, priority)


# name -> facts. Missing keys take the defaults in `_defaults`.
EXPECTED: dict[str, dict[str, Any]] = {
    "kserve-sklearnserver": {
        "server_type": "sklearnserver",
        "image": "kserve/sklearnserver:v0.20.0",
        "formats": [fmt("sklearn", "1")],
        "protocols": ["v1", "v2"],
    },
    "kserve-xgbserver": {
        "server_type": "xgbserver",
        "image": "kserve/xgbserver:v0.20.0",
        "formats": [fmt("xgboost", "2")],
        "protocols": ["v1", "v2"],
        "args": [*KSERVE_ARGS, "--nthread=1"],
    },
    "kserve-lgbserver": {
        "server_type": "lgbserver",
        "image": "kserve/lgbserver:v0.20.0",
        "formats": [fmt("lightgbm", "4")],
        "protocols": ["v1", "v2"],
        "args": [*KSERVE_ARGS, "--nthread=1"],
    },
    "kserve-mlserver": {
        "server_type": "mlserver",
        "image": "docker.io/seldonio/mlserver:1.7.1",
        "formats": [
            fmt("sklearn", "0", True, 2),
            fmt("sklearn", "1", True, 2),
            fmt("xgboost", "1", True, 2),
            fmt("xgboost", "2", True, 2),
            fmt("lightgbm", "3", True, 2),
            fmt("lightgbm", "4", True, 2),
            fmt("mlflow", "1", True, 1),
            fmt("mlflow", "2", True, 1),
        ],
        "protocols": ["v2"],
        "args": ABSENT,
        "env": [
            ("MLSERVER_MODEL_IMPLEMENTATION", "{{.Labels.modelClass}}"),
            ("MLSERVER_HTTP_PORT", "8080"),
            ("MLSERVER_GRPC_PORT", "9000"),
        ],
    },
    "kserve-paddleserver": {
        "server_type": "paddleserver",
        "image": "kserve/paddleserver:v0.20.0",
        "formats": [fmt("paddle", "2")],
        "protocols": ["v1", "v2"],
    },
    "kserve-pmmlserver": {
        "server_type": "pmmlserver",
        "image": "kserve/pmmlserver:v0.20.0",
        "formats": [fmt("pmml", "3"), fmt("pmml", "4")],
        "protocols": ["v1", "v2"],
    },
    "kserve-tensorflow-serving": {
        "server_type": "tensorflow-serving",
        "image": "tensorflow/serving:2.6.2",
        "formats": [fmt("tensorflow", "1", True, 2), fmt("tensorflow", "2", True, 2)],
        "protocols": ["v1", "grpc-v1"],
        "command": ["/usr/bin/tensorflow_model_server"],
        "args": [
            "--model_name={{.Name}}",
            "--port=9000",
            "--rest_api_port=8080",
            "--model_base_path=/mnt/models",
            "--rest_api_timeout_in_ms=60000",
        ],
        "security": SC_UID_1000,
    },
    "kserve-torchserve": {
        "server_type": "torchserve",
        "image": "pytorch/torchserve-kfs:0.9.0",
        "formats": [fmt("pytorch", "1", True, 2)],
        "protocols": ["v1", "v2", "grpc-v2"],
        "prometheus_port": "8082",
        "args": [
            "torchserve",
            "--start",
            "--model-store=/mnt/models/model-store",
            "--ts-config=/mnt/models/config/config.properties",
        ],
        "env": [("TS_SERVICE_ENVELOPE", "{{.Labels.serviceEnvelope}}")],
        "security": SC_UID_1000,
    },
    "kserve-tritonserver": {
        "server_type": "tritonserver",
        "image": "nvcr.io/nvidia/tritonserver:23.05-py3",
        "formats": [
            fmt("tensorrt", "8"),
            fmt("tensorflow", "1"),
            fmt("tensorflow", "2"),
            fmt("onnx", "1"),
            fmt("pytorch", "1", None, None),
            fmt("triton", "2"),
        ],
        "protocols": ["v2", "grpc-v2"],
        "prometheus_port": "8002",
        "args": [
            "tritonserver",
            "--model-store=/mnt/models",
            "--grpc-port=9000",
            "--http-port=8080",
            "--allow-grpc=true",
            "--allow-http=true",
        ],
        "security": SC_UID_1000,
    },
    "kserve-huggingfaceserver": {
        "server_type": "huggingfaceserver",
        "image": "kserve/huggingfaceserver:v0.20.0",
        "formats": [fmt("huggingface", "1")],
        "protocols": ["v2", "v1"],
        "args": ["--model_name={{.Name}}"],
        "env": [("LMCACHE_USE_EXPERIMENTAL", "True")],
        "volume_mounts": DEVSHM_MOUNTS,
        "volumes": DEVSHM_VOLUMES,
        "host_ipc": False,
    },
    "kserve-huggingfaceserver-multinode": {
        "server_type": "huggingfaceserver",
        "image": "kserve/huggingfaceserver:v0.20.0-gpu",
        "formats": [fmt("huggingface", "1", True, 2)],
        "protocols": ["v2", "v1"],
        "args": ["--model_name={{.Name}}"],
        "command_head": ["bash", "-c"],  # plus one script
        "env": [
            ("RAY_PORT", "6379"),
            ("POD_NAMESPACE", "fieldRef:metadata.namespace"),
            ("POD_IP", "fieldRef:status.podIP"),
            ("VLLM_CONFIG_ROOT", "/tmp"),
            ("HF_HUB_CACHE", "/tmp"),
        ],
        "resources": {"requests": {"cpu": "2", "memory": "6Gi"}, "limits": {"cpu": "4", "memory": "12Gi"}},
        "security": None,
        "volume_mounts": [{"name": "shm", "mountPath": "/dev/shm"}],
        "volumes": [{"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": "3Gi"}}],
        "worker": True,
    },
    "kserve-predictiveserver": {
        "server_type": "predictiveserver",
        "image": "kserve/predictiveserver:v0.20.0",
        "formats": [fmt("sklearn", "1", False, 3), fmt("xgboost", "2", False, 3), fmt("lightgbm", "4", False, 3)],
        "protocols": ["v1", "v2"],
        "args": [*KSERVE_ARGS, "--framework={{.Annotations.modelFormat}}", "--nthread=1"],
        "multi_model": False,
    },
    "kserve-autogluonserver": {
        "server_type": "autogluonserver",
        "image": "kserve/autogluonserver:v0.20.0",
        "formats": [fmt("autogluon", "1")],
        "protocols": ["v1", "v2"],
    },
    "kserve-vllmserver": {
        "server_type": "vllmserver",
        "image": "vllm/vllm-openai:v0.20.0",
        "formats": [fmt("vLLM", "1")],
        "protocols": ABSENT,
        "command": ["python", "-m", "vllm.entrypoints.openai.api_server"],
        "args": ["--port=8080", "--served-model-name={{.Name}}", "--model=/mnt/models"],
        "env": [
            ("LMCACHE_USE_EXPERIMENTAL", "True"),
            ("HF_HOME", "/tmp"),
            ("VLLM_CONFIG_ROOT", "/tmp"),
            ("VLLM_WORKER_MULTIPROC_METHOD", "spawn"),
        ],
        "security": SC_NO_NONROOT,
        "probes": {
            "readinessProbe": {
                "httpGet": {"path": "/v1/models", "port": 8080},
                "periodSeconds": 10,
                "timeoutSeconds": 5,
                "failureThreshold": 3,
                "successThreshold": 1,
            },
            "startupProbe": {
                "httpGet": {"path": "/v1/models", "port": 8080},
                "initialDelaySeconds": 30,
                "periodSeconds": 30,
                "timeoutSeconds": 10,
                "failureThreshold": 60,
                "successThreshold": 1,
            },
        },
        "volume_mounts": DEVSHM_MOUNTS,
        "volumes": DEVSHM_VOLUMES,
        "host_ipc": False,
    },
}


def _defaults(name: str) -> dict[str, Any]:
    facts = {
        "prometheus_port": "8080",
        "command": ABSENT,
        "args": KSERVE_ARGS,
        "env": ABSENT,
        "resources": DEFAULT_RESOURCES,
        "security": SC_DEFAULT,
        "probes": {},
        "volume_mounts": ABSENT,
        "volumes": ABSENT,
        "host_ipc": ABSENT,
        "multi_model": ABSENT,
        "worker": False,
    }
    facts.update(EXPECTED[name])
    return facts


def _load(name: str) -> dict[str, Any]:
    with open(CATALOG / f"{name}.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _get(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key, ABSENT)


def _env_pairs(env: list[dict[str, Any]]) -> list[tuple[str, str]]:
    pairs = []
    for item in env:
        if "valueFrom" in item:
            pairs.append((item["name"], "fieldRef:" + item["valueFrom"]["fieldRef"]["fieldPath"]))
        else:
            pairs.append((item["name"], item["value"]))
    return pairs


# --- the set of files -------------------------------------------------------------------------


def test_exactly_the_fourteen_runtimes_and_the_storage_container() -> None:
    files = sorted(p.name for p in CATALOG.glob("*.yaml"))
    runtimes = [f for f in files if f != STORAGE_FILE]
    assert len(EXPECTED) == 14
    assert len(runtimes) == 14
    assert runtimes == sorted(f"{name}.yaml" for name in EXPECTED)
    assert STORAGE_FILE in files
    assert not list(CATALOG.glob("*.yml"))


def test_openvino_is_not_in_the_catalog() -> None:
    assert not (CATALOG / "kserve-openvino.yaml").exists()
    for path in CATALOG.glob("*.yaml"):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert "openvino" not in doc["metadata"]["name"]


@pytest.mark.parametrize("path", sorted(CATALOG.glob("*.yaml")), ids=lambda p: p.name)
def test_each_file_is_one_document_with_a_header_comment_and_conventional_key_order(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# ")
    assert "v0.20.0" in text.splitlines()[0]
    assert "not a copy" in text.split("apiVersion:")[0]
    docs = list(yaml.safe_load_all(text))
    assert len(docs) == 1
    assert list(docs[0]) == ["apiVersion", "kind", "metadata", "spec"]
    assert docs[0]["apiVersion"] == "serving.kserve.io/v1alpha1"


# --- runtimes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_runtime_identity_and_selection_facts(name: str) -> None:
    facts = _defaults(name)
    doc = _load(name)
    spec = doc["spec"]

    assert doc["kind"] == "ClusterServingRuntime"
    assert doc["metadata"] == {
        "name": name,
        "annotations": {"serving.kserve.io/server-type": facts["server_type"]},
    }
    assert spec["annotations"] == {
        "prometheus.kserve.io/path": "/metrics",
        "prometheus.kserve.io/port": facts["prometheus_port"],
    }

    formats = [
        (f["name"], f["version"], f.get("autoSelect"), f.get("priority")) for f in spec["supportedModelFormats"]
    ]
    assert formats == facts["formats"]
    for f in spec["supportedModelFormats"]:
        assert set(f) <= {"name", "version", "autoSelect", "priority"}
        assert isinstance(f["version"], str)
        if "priority" in f:
            assert type(f["priority"]) is int and f["priority"] >= 1
        if "autoSelect" in f:
            assert type(f["autoSelect"]) is bool

    assert _get(spec, "protocolVersions") == facts["protocols"]
    assert _get(spec, "multiModel") == facts["multi_model"]
    assert "disabled" not in spec


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_runtime_container(name: str) -> None:
    facts = _defaults(name)
    spec = _load(name)["spec"]

    assert len(spec["containers"]) == 1
    c = spec["containers"][0]
    assert c["name"] == "kserve-container"
    assert c["image"] == facts["image"]
    assert "ports" not in c
    assert "imagePullPolicy" not in c

    if "command_head" in facts:
        assert c["command"][:-1] == facts["command_head"]
        assert isinstance(c["command"][-1], str) and "python -m huggingfaceserver" in c["command"][-1]
    else:
        assert _get(c, "command") == facts["command"]
    assert _get(c, "args") == facts["args"]

    env = _get(c, "env")
    assert (env if env is ABSENT else _env_pairs(env)) == facts["env"]

    assert c["resources"] == facts["resources"]
    for section in c["resources"].values():
        assert all(isinstance(q, str) for q in section.values())

    if facts["security"] is None:
        assert "securityContext" not in c
    else:
        assert c["securityContext"] == facts["security"]

    assert _get(c, "volumeMounts") == facts["volume_mounts"]
    assert _get(spec, "volumes") == facts["volumes"]
    assert _get(spec, "hostIPC") == facts["host_ipc"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_runtime_probes(name: str) -> None:
    facts = _defaults(name)
    c = _load(name)["spec"]["containers"][0]
    probes = {k: v for k, v in c.items() if k.endswith("Probe")}
    if name == "kserve-huggingfaceserver-multinode":
        assert sorted(probes) == ["livenessProbe", "readinessProbe", "startupProbe"]
        for kind, probe_name in [
            ("livenessProbe", "head_liveness"),
            ("readinessProbe", "head_readiness"),
            ("startupProbe", "head_startup"),
        ]:
            cmd = probes[kind]["exec"]["command"]
            assert cmd[:2] == ["bash", "-c"] and f"--probe_name {probe_name}" in cmd[2]
        assert {k: v for k, v in probes["startupProbe"].items() if k != "exec"} == {
            "initialDelaySeconds": 60,
            "periodSeconds": 30,
            "timeoutSeconds": 30,
            "failureThreshold": 40,
            "successThreshold": 1,
        }
        for kind in ("livenessProbe", "readinessProbe"):
            assert {k: v for k, v in probes[kind].items() if k != "exec"} == {
                "periodSeconds": 5,
                "timeoutSeconds": 15,
                "failureThreshold": 2,
                "successThreshold": 1,
            }
    else:
        assert probes == facts["probes"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_worker_spec_only_on_the_multinode_runtime(name: str) -> None:
    facts = _defaults(name)
    spec = _load(name)["spec"]
    if not facts["worker"]:
        assert "workerSpec" not in spec
        return
    worker = spec["workerSpec"]
    assert worker["tensorParallelSize"] == 1
    assert worker["pipelineParallelSize"] == 1
    assert len(worker["containers"]) == 1
    w = worker["containers"][0]
    assert w["name"] == "worker-container"
    assert w["image"] == "kserve/huggingfaceserver:v0.20.0-gpu"
    assert w["command"][:2] == ["bash", "-c"] and "ray start --address=" in w["command"][2]
    assert _env_pairs(w["env"]) == [
        ("POD_NAME", "fieldRef:metadata.name"),
        ("POD_NAMESPACE", "fieldRef:metadata.namespace"),
    ]
    assert w["resources"] == facts["resources"]
    assert "securityContext" not in w
    assert sorted(k for k in w if k.endswith("Probe")) == ["livenessProbe", "startupProbe"]
    assert "--probe_name worker_liveness" in w["livenessProbe"]["exec"]["command"][2]
    assert "--probe_name worker_startup" in w["startupProbe"]["exec"]["command"][2]
    assert w["volumeMounts"] == [{"name": "shm", "mountPath": "/dev/shm"}]
    assert worker["volumes"] == facts["volumes"]


def test_no_two_autoselect_runtimes_share_format_version_and_priority() -> None:
    """KServe's runtime webhook would reject the set otherwise (spec 1); multi-node runtimes are
    separate from single-node ones in selection but not in the webhook, and hold distinct priorities."""
    seen: dict[tuple, str] = {}
    for name in EXPECTED:
        spec = _load(name)["spec"]
        protocols = spec.get("protocolVersions") or ["*"]
        for f in spec["supportedModelFormats"]:
            if not f.get("autoSelect"):
                continue
            for proto in protocols:
                key = (f["name"].lower(), f.get("version"), f.get("priority"), proto)
                assert key not in seen, f"{name} and {seen[key]} clash on {key}"
                seen[key] = name


# --- storage container ------------------------------------------------------------------------


def test_default_cluster_storage_container() -> None:
    with open(CATALOG / STORAGE_FILE, encoding="utf-8") as fh:
        doc = yaml.safe_load(fh)
    assert doc["kind"] == "ClusterStorageContainer"
    assert doc["metadata"] == {"name": "default"}
    spec = doc["spec"]
    assert spec["container"] == {
        "name": "storage-initializer",
        "image": "kserve/storage-initializer:v0.20.0",
        "imagePullPolicy": "IfNotPresent",
        "resources": {
            "requests": {"cpu": "100m", "memory": "100Mi"},
            "limits": {"cpu": "1", "memory": "1Gi"},
        },
    }
    assert spec["supportedUriFormats"] == [
        {"prefix": "gs://"},
        {"prefix": "s3://"},
        {"prefix": "hdfs://"},
        {"prefix": "hf://"},
        {"prefix": "webhdfs://"},
        {"regex": "https://(.+?).blob.core.windows.net/(.+)"},
        {"regex": "https://(.+?).file.core.windows.net/(.+)"},
        {"regex": "https?://(.+)/(.+)"},
    ]
    assert spec["workloadType"] == "initContainer"
    assert spec["supportsMultiModelDownload"] is True
    assert set(spec) == {"container", "supportedUriFormats", "workloadType", "supportsMultiModelDownload"}
