"""Strategic merge of containers and pod fields (compiler/expand/merge.py) against docs/kserve-behaviour.md §4.1.

Where the spec is silent the expectation is KServe v0.20.0's source, in our words:
  pkg/utils/container_merge.go            MergeContainerWithPatch: apimachinery's StrategicMergePatch of
                                          the JSON-marshalled containers, then an empty name restored from
                                          the base and env entries left with value and valueFrom fixed
  .../inferenceservice/utils/utils.go     MergeRuntimeContainers (args = runtime's + isvc's),
                                          MergePodSpec (runtime: nodeSelector, affinity, tolerations,
                                          volumes, imagePullSecrets, schedulerName, resourceClaims)
  apimachinery strategicpatch/patch.go    mergeSlice -> normalizeElementOrder -> mergeSortedSlice: the
                                          order of merged lists
  encoding/json                           omitempty drops "", false, 0 and empty lists before the patch
"""

from __future__ import annotations

import pytest

from compiler.expand.merge import MergeError, merge_pod_fields, strategic_merge_container, volume_source_conflicts


def env(*names: str, value: str = "r") -> list[dict]:
    return [{"name": n, "value": value} for n in names]


def names(items: list[dict], key: str = "name") -> list:
    return [i[key] for i in items]


# (id, runtime env names, isvc env names, merged order)
ENV_ORDER = [
    ("new entry lands before runtime-only ones", ["A", "B"], ["C"], ["C", "A", "B"]),
    ("overridden entry keeps its place after runtime-only ones", ["A", "B"], ["B"], ["A", "B"]),
    ("override of the last, then a new one", ["A", "B", "C"], ["C", "D"], ["A", "B", "C", "D"]),
    ("new, then an override of the first", ["A", "B", "C"], ["D", "A"], ["D", "A", "B", "C"]),
    ("isvc order wins among shared entries", ["A", "B"], ["B", "A"], ["B", "A"]),
    ("only the runtime's", ["A", "B"], [], ["A", "B"]),
    ("only the isvc's", [], ["X", "Y"], ["X", "Y"]),
    ("a runtime-only entry waits for the shared one after it", ["A", "B"], ["C", "B", "D"], ["C", "A", "B", "D"]),
]


@pytest.mark.parametrize("runtime, isvc, expected", [r[1:] for r in ENV_ORDER], ids=[r[0] for r in ENV_ORDER])
def test_env_order(runtime, isvc, expected):
    base = {"name": "kserve-container", **({"env": env(*runtime, value="runtime")} if runtime else {})}
    patch = {"env": env(*isvc, value="isvc")} if isvc else {}
    merged = strategic_merge_container(base, patch)
    assert names(merged.get("env", [])) == expected
    for entry in merged.get("env", []):
        assert entry["value"] == ("isvc" if entry["name"] in isvc else "runtime")


def test_spec_example_exact_dicts():
    base = {"name": "kserve-container", "image": "server:1", "args": ["--a"], "command": ["serve"],
            "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
            "resources": {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"cpu": "1", "memory": "2Gi"}},
            "ports": [{"containerPort": 8080, "protocol": "TCP"}],
            "volumeMounts": [{"name": "devshm", "mountPath": "/dev/shm"}]}
    patch = {"image": "mine:2", "args": ["--b"], "command": ["python", "-m", "x"],
             "env": [{"name": "C", "value": "3"}],
             "resources": {"limits": {"cpu": "2", "nvidia.com/gpu": "1"}},
             "ports": [{"containerPort": 9000, "name": "grpc"}],
             "volumeMounts": [{"name": "cache", "mountPath": "/cache"}]}
    assert strategic_merge_container(base, patch) == {
        "name": "kserve-container",
        "image": "mine:2",
        "args": ["--a", "--b"],                                   # runtime args, then the isvc's
        "command": ["python", "-m", "x"],                        # replaced
        "env": [{"name": "C", "value": "3"}, {"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
        "resources": {"requests": {"cpu": "1", "memory": "2Gi"},
                      "limits": {"cpu": "2", "memory": "2Gi", "nvidia.com/gpu": "1"}},  # by key
        "ports": [{"containerPort": 9000, "name": "grpc"}, {"containerPort": 8080, "protocol": "TCP"}],
        "volumeMounts": [{"name": "cache", "mountPath": "/cache"}, {"name": "devshm", "mountPath": "/dev/shm"}],
    }
    assert base["args"] == ["--a"] and patch["args"] == ["--b"]  # inputs untouched


# (id, base, patch, expected merged container)
CONTAINER_CASES = [
    ("name kept when the patch has none", {"name": "kserve-container"}, {"image": "x"},
     {"name": "kserve-container", "image": "x"}),
    ("an empty patch name is restored from the base", {"name": "kserve-container"}, {"name": "", "image": "x"},
     {"name": "kserve-container", "image": "x"}),
    ("a patch name wins (MergeContainerWithPatch only restores an empty one)", {"name": "kserve-container"},
     {"name": "mine"}, {"name": "mine"}),
    ("args concatenated, never de-duplicated", {"name": "c", "args": ["--x", "--y"]}, {"args": ["--y"]},
     {"name": "c", "args": ["--x", "--y", "--y"]}),
    ("isvc value replaces runtime valueFrom", {"name": "c", "env": [
        {"name": "K", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]},
     {"env": [{"name": "K", "value": "plain"}]}, {"name": "c", "env": [{"name": "K", "value": "plain"}]}),
    ("isvc valueFrom replaces runtime value", {"name": "c", "env": [{"name": "K", "value": "plain"}]},
     {"env": [{"name": "K", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]},
     {"name": "c", "env": [{"name": "K", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]}),
    ("an empty value in the isvc does not override (omitempty)", {"name": "c", "env": [{"name": "K", "value": "r"}]},
     {"env": [{"name": "K", "value": ""}]}, {"name": "c", "env": [{"name": "K", "value": "r"}]}),
    ("readOnly: false in the isvc does not override", {"name": "c", "volumeMounts": [
        {"name": "v", "mountPath": "/m", "readOnly": True}]},
     {"volumeMounts": [{"name": "v", "mountPath": "/m", "readOnly": False}]},
     {"name": "c", "volumeMounts": [{"name": "v", "mountPath": "/m", "readOnly": True}]}),
    ("an empty command list does not clear the runtime's", {"name": "c", "command": ["serve"]}, {"command": []},
     {"name": "c", "command": ["serve"]}),
    ("securityContext merges by key; pointer false is kept",
     {"name": "c", "securityContext": {"runAsNonRoot": True, "capabilities": {"drop": ["ALL"]}}},
     {"securityContext": {"runAsNonRoot": False, "capabilities": {"add": ["NET_ADMIN"]}}},
     {"name": "c", "securityContext": {"runAsNonRoot": False,
                                       "capabilities": {"drop": ["ALL"], "add": ["NET_ADMIN"]}}}),
    ("probes merge field by field (both handlers survive, as in KServe)",
     {"name": "c", "readinessProbe": {"httpGet": {"path": "/v1/models", "port": 8080}, "periodSeconds": 10}},
     {"readinessProbe": {"tcpSocket": {"port": 8080}}},
     {"name": "c", "readinessProbe": {"httpGet": {"path": "/v1/models", "port": 8080}, "periodSeconds": 10,
                                      "tcpSocket": {"port": 8080}}}),
    ("ports merge by containerPort", {"name": "c", "ports": [{"containerPort": 8080, "name": "http1"}]},
     {"ports": [{"containerPort": 8080, "name": "h2c"}]},
     {"name": "c", "ports": [{"containerPort": 8080, "name": "h2c"}]}),
    ("duplicate names in the patch merge into one entry when the runtime has the list",
     {"name": "c", "env": [{"name": "A", "value": "1"}]},
     {"env": [{"name": "P", "value": "v2"}, {"name": "P", "value": "v1"}]},
     {"name": "c", "env": [{"name": "P", "value": "v1"}, {"name": "A", "value": "1"}]}),
    ("duplicate names pass through when the runtime has no env", {"name": "c"},
     {"env": [{"name": "P", "value": "v2"}, {"name": "P", "value": "v1"}]},
     {"name": "c", "env": [{"name": "P", "value": "v2"}, {"name": "P", "value": "v1"}]}),
]


@pytest.mark.parametrize("base, patch, expected", [c[1:] for c in CONTAINER_CASES], ids=[c[0] for c in CONTAINER_CASES])
def test_container_cases(base, patch, expected):
    assert strategic_merge_container(base, patch) == expected


def test_storage_container_merge_replaces_args():
    init = {"name": "storage-initializer", "args": ["s3://b/m", "/mnt/models"]}
    assert strategic_merge_container(init, {"name": "storage-initializer", "args": ["--x"]}, concat_args=False) == \
        {"name": "storage-initializer", "args": ["--x"]}


def test_missing_merge_key_is_refused():
    with pytest.raises(MergeError):
        strategic_merge_container({"name": "c", "env": [{"name": "A"}]}, {"env": [{"value": "x"}]})


# (id, runtime spec, component pod fields, merged)
POD_CASES = [
    ("only the runtime's pod fields are read; hostIPC dropped",
     {"containers": [{"name": "kserve-container"}], "hostIPC": True, "nodeSelector": {"a": "1"},
      "schedulerName": "rt", "labels": {"x": "y"}, "supportedModelFormats": []},
     {}, {"nodeSelector": {"a": "1"}, "schedulerName": "rt"}),
    ("volumes by name: new predictor volumes first",
     {"volumes": [{"name": "devshm", "emptyDir": {"medium": "Memory"}}]},
     {"volumes": [{"name": "cache", "emptyDir": {}}]},
     {"volumes": [{"name": "cache", "emptyDir": {}}, {"name": "devshm", "emptyDir": {"medium": "Memory"}}]}),
    ("maps merge by key, tolerations are replaced, scalars too",
     {"nodeSelector": {"a": "1", "b": "2"}, "tolerations": [{"key": "gpu", "operator": "Exists"}],
      "schedulerName": "rt"},
     {"nodeSelector": {"b": "3"}, "tolerations": [{"key": "spot", "operator": "Exists"}], "schedulerName": "mine"},
     {"nodeSelector": {"a": "1", "b": "3"}, "tolerations": [{"key": "spot", "operator": "Exists"}],
      "schedulerName": "mine"}),
    ("empty predictor lists do not clear the runtime's (omitempty)",
     {"tolerations": [{"key": "gpu"}], "imagePullSecrets": [{"name": "rt"}]},
     {"tolerations": [], "imagePullSecrets": []},
     {"tolerations": [{"key": "gpu"}], "imagePullSecrets": [{"name": "rt"}]}),
    ("imagePullSecrets by name", {"imagePullSecrets": [{"name": "a"}, {"name": "b"}]},
     {"imagePullSecrets": [{"name": "b"}, {"name": "c"}]},
     {"imagePullSecrets": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}),
    ("affinity merges as a struct; its term lists are replaced",
     {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
         {"matchExpressions": [{"key": "a", "operator": "Exists"}]}]}}}},
     {"affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": []}}},
     {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
         {"matchExpressions": [{"key": "a", "operator": "Exists"}]}]}},
         "podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": []}}}),
    ("predictor-only fields pass through", {},
     {"serviceAccountName": "sa", "initContainers": [{"name": "i", "image": "busybox"}], "hostNetwork": False},
     {"serviceAccountName": "sa", "initContainers": [{"name": "i", "image": "busybox"}], "hostNetwork": False}),
]


@pytest.mark.parametrize("runtime, component, expected", [c[1:] for c in POD_CASES], ids=[c[0] for c in POD_CASES])
def test_pod_fields(runtime, component, expected):
    assert merge_pod_fields(runtime, component) == expected


def test_volume_with_two_sources_is_reported():
    merged = merge_pod_fields({"volumes": [{"name": "v", "emptyDir": {}}]},
                              {"volumes": [{"name": "v", "configMap": {"name": "cm"}}]})
    assert merged["volumes"] == [{"name": "v", "emptyDir": {}, "configMap": {"name": "cm"}}]
    assert volume_source_conflicts(merged["volumes"]) == ["v"]
