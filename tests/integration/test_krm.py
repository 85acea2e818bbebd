"""`kserve-compiler krm` and `kustomize-plugin` on in-memory input: the ResourceList contract (items
echoed, consumed inputs marked local-config, previous output regenerated, results), and the legacy
exec-plugin stream. The hosts themselves are driven in test_kpt.py, test_kustomize.py, test_argocd.py."""

from __future__ import annotations

import copy
import io
import json
import shutil

import pytest
import yaml

from compiler import pipeline
from compiler.doors import function_config, krm, kustomize_plugin
from conftest import EXAMPLES, run_entry_point

PATH, LEGACY_PATH = "internal.config.kubernetes.io/path", "config.kubernetes.io/path"
LOCAL_CONFIG = "config.kubernetes.io/local-config"
MANAGED_BY = "app.kubernetes.io/managed-by"

IRIS_TEXT = """\
# sklearn, auto-selected runtime
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: iris
  namespace: models
spec:
  predictor:
    model:
      modelFormat:
        name: sklearn
      storageUri: gs://kfserving-examples/models/sklearn/1.0/model
"""
NAMESPACE = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "models"}}
KPTFILE = {"apiVersion": "kpt.dev/v1", "kind": "Kptfile", "metadata": {"name": "pkg"},
           "pipeline": {"mutators": [{"exec": "kserve-compiler krm"}]}}


def kpt_item(obj: dict, path: str, index: int = 0, ident: int = 1) -> dict:
    """An item as kpt hands it over: path, index and id annotations, old and new names."""
    obj = copy.deepcopy(obj)
    obj.setdefault("metadata", {}).setdefault("annotations", {}).update({
        "config.kubernetes.io/index": str(index), LEGACY_PATH: path,
        "internal.config.kubernetes.io/index": str(index), PATH: path,
        "internal.config.kubernetes.io/id": str(ident), "config.k8s.io/id": str(ident)})
    return obj


def resource_list(*items: dict, config: dict | None = None) -> dict:
    rl = {"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": list(items)}
    if config is not None:
        rl["functionConfig"] = config
    return rl


def config_map(**data: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "function-input"}, "data": data}


def run_krm(rl: dict | str) -> tuple[int, dict, str]:
    stdin = rl if isinstance(rl, str) else yaml.safe_dump(rl, sort_keys=False)
    out, err = io.StringIO(), io.StringIO()
    code = krm.run(stdin.encode(), out, err)
    docs = list(yaml.safe_load_all(out.getvalue()))
    assert len(docs) == 1, "stdout must carry one ResourceList and nothing else"
    return code, docs[0], err.getvalue()


def iris() -> dict:
    return yaml.safe_load(IRIS_TEXT)


def generated(out: dict) -> list[dict]:
    return [i for i in out["items"] if i["metadata"].get("labels", {}).get(MANAGED_BY) == "kserve-compiler"]


def errors(out: dict) -> list[dict]:
    return [r for r in out.get("results", []) if r["severity"] == "error"]


# ---------------------------------------------------------------------------------------------------
# Transformer mode


def test_items_echoed_and_generated_objects_appended_with_layout_paths():
    items = [kpt_item(KPTFILE, "Kptfile", ident=1), kpt_item(iris(), "src/iris.yaml", ident=2),
             kpt_item(NAMESPACE, "src/namespace.yaml", ident=3)]
    code, out, err = run_krm(resource_list(*items, config=config_map(defaultNamespace="models")))
    assert code == 0, err
    assert out["apiVersion"] == "config.kubernetes.io/v1" and out["kind"] == "ResourceList"
    assert errors(out) == []
    echoed, made = out["items"][:3], out["items"][3:]
    assert echoed[0] == items[0]                       # config-only: untouched
    assert echoed[2] == items[2]                       # pass-through: untouched
    marked = copy.deepcopy(items[1])
    marked["metadata"]["annotations"][LOCAL_CONFIG] = "true"
    assert echoed[1] == marked                         # consumed: kept, marked local-config
    assert made == generated(out) and made
    kinds = {(o["kind"], o["metadata"]["name"]) for o in made}
    assert ("Deployment", "iris-predictor") in kinds
    for obj in made:
        meta = obj["metadata"]
        expected = f"{meta['namespace']}/{meta['name']}.{obj['kind'].lower()}.yaml"
        assert meta["annotations"][PATH] == meta["annotations"][LEGACY_PATH] == expected
        assert meta["annotations"]["kserve-compiler/source"] == "src/iris.yaml#0"
        assert meta["namespace"] == "models"
    keys = [(o["metadata"]["namespace"], o["metadata"]["name"], o["kind"]) for o in made]
    assert keys == sorted(keys)                        # emit's order
    deployment = next(o for o in made if o["kind"] == "Deployment")
    assert list(deployment)[:4] == ["apiVersion", "kind", "metadata", "spec"]  # emit's key order


def test_consumed_kinds_and_config_are_marked_other_items_untouched():
    runtime = {"apiVersion": "serving.kserve.io/v1alpha1", "kind": "ServingRuntime",
               "metadata": {"name": "team-sklearn", "namespace": "models"},
               "spec": {"supportedModelFormats": [{"name": "sklearn", "version": "1"}],
                        "containers": [{"name": "kserve-container", "image": "example/sklearn:1"}]}}
    isvc_config = yaml.safe_load((EXAMPLES / "repo/config/inferenceservice-config.yaml").read_text())
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s3", "namespace": "models"},
              "stringData": {"key": "value"}}
    compile_config = {"apiVersion": "kserve-compiler.example/v1alpha1", "kind": "KServeCompile",
                      "metadata": {"name": "c", "annotations": {LOCAL_CONFIG: "true"}}, "spec": {}}
    items = [kpt_item(iris(), "a.yaml"), kpt_item(runtime, "b.yaml"), kpt_item(isvc_config, "c.yaml"),
             kpt_item(secret, "d.yaml"), compile_config]
    code, out, err = run_krm(resource_list(*items))
    assert code == 0, err
    for echoed, given in zip(out["items"], items):
        if given["kind"] in ("InferenceService", "ServingRuntime", "ConfigMap"):
            assert echoed["metadata"]["annotations"][LOCAL_CONFIG] == "true"
            echoed = copy.deepcopy(echoed)
            del echoed["metadata"]["annotations"][LOCAL_CONFIG]
        assert echoed == given


def test_previous_output_is_dropped_and_a_second_run_changes_nothing():
    items = [kpt_item(KPTFILE, "Kptfile"), kpt_item(iris(), "src/iris.yaml")]
    code, first, err = run_krm(resource_list(*items))
    assert code == 0, err
    stale = {"apiVersion": "v1", "kind": "Service",
             "metadata": {"name": "gone-predictor", "namespace": "models",
                          "labels": {MANAGED_BY: "kserve-compiler"}}, "spec": {}}
    # kpt hands the written files back with their path and index annotations
    again = [kpt_item(i, i["metadata"]["annotations"][PATH]) for i in first["items"]]
    again.append(kpt_item(stale, "models/gone-predictor.service.yaml"))
    code, second, err = run_krm(resource_list(*again))
    assert code == 0, err
    # the stale output is gone, the rest is what the first run gave (kpt's ids and indexes aside)
    assert without_bookkeeping(second["items"]) == without_bookkeeping(first["items"])


def without_bookkeeping(items: list[dict]) -> list[dict]:
    items = copy.deepcopy(items)
    for item in items:
        annotations = item["metadata"].get("annotations", {})
        for key in ("config.kubernetes.io/index", "internal.config.kubernetes.io/index",
                    "internal.config.kubernetes.io/id", "config.k8s.io/id"):
            annotations.pop(key, None)
    return items


def test_a_name_shared_with_another_api_group_gets_the_group_in_its_path():
    other = {"apiVersion": "example.com/v1", "kind": "Ingress", "metadata": {"name": "iris", "namespace": "models"}}
    code, out, err = run_krm(resource_list(kpt_item(iris(), "a.yaml"), kpt_item(other, "b.yaml")))
    assert code == 0, err
    ingress = next(o for o in generated(out) if o["kind"] == "Ingress")
    assert ingress["metadata"]["annotations"][PATH] == "models/iris.ingress.networking.k8s.io.yaml"
    assert out["items"][1] == kpt_item(other, "b.yaml")


def test_an_isvc_marked_local_config_by_an_earlier_render_is_still_compiled():
    marked = kpt_item(iris(), "src/iris.yaml")
    marked["metadata"]["annotations"][LOCAL_CONFIG] = "true"
    code, out, err = run_krm(resource_list(marked))
    assert code == 0, err
    assert out["items"][0] == marked
    assert any(o["kind"] == "Deployment" for o in generated(out))


def test_json_input_and_a_kservecompile_function_config():
    isvc = iris()
    del isvc["metadata"]["namespace"]
    config = {"apiVersion": "kserve-compiler.example/v1alpha1", "kind": "KServeCompile",
              "metadata": {"name": "compile"}, "spec": {"defaultNamespace": "team-a", "strict": False}}
    code, out, err = run_krm(json.dumps(resource_list(isvc, config=config)))
    assert code == 0, err
    made = generated(out)
    assert made and {o["metadata"]["namespace"] for o in made} == {"team-a"}
    assert all(o["metadata"]["annotations"][PATH].startswith("team-a/") for o in made)
    # an item without a path annotation is stdin's, indexed by its place in the list
    assert made[0]["metadata"]["annotations"]["kserve-compiler/source"] == "-#0"


# ---------------------------------------------------------------------------------------------------
# Errors and results


def test_error_results_items_unchanged_and_the_same_text_on_stderr(tmp_path, monkeypatch):
    text = IRIS_TEXT.replace("storageUri:", "storageUrl:")
    (tmp_path / "src").mkdir()
    (tmp_path / "src/iris.yaml").write_text(text)
    monkeypatch.chdir(tmp_path)  # kpt run in the package: the file is found, so lines are real
    items = [kpt_item(KPTFILE, "Kptfile"), kpt_item(yaml.safe_load(text), "src/iris.yaml")]
    code, out, err = run_krm(resource_list(*items))
    assert code == 1
    assert out["items"] == items
    [result] = errors(out)
    assert result["resourceRef"] == {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
                                     "namespace": "models", "name": "iris"}
    assert result["field"] == {"path": "spec.predictor.model.storageUrl"}
    assert result["file"] == {"path": "src/iris.yaml", "index": 0}
    assert result["tags"]["code"] == "KSC201" and result["tags"]["line"] == "12"
    assert 'unknown field "storageUrl"' in result["message"]
    assert err.startswith("src/iris.yaml:12:7: error KSC201: ")
    assert err.rstrip().endswith("1 error, 0 warnings, 0 notices")


def test_without_the_file_on_disk_no_lines_are_claimed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    bad = iris()
    bad["spec"]["predictor"]["model"]["storageUrl"] = bad["spec"]["predictor"]["model"].pop("storageUri")
    code, out, err = run_krm(resource_list(kpt_item(bad, "src/iris.yaml")))
    assert code == 1
    assert err.startswith("src/iris.yaml: error KSC201: ")
    assert "line" not in errors(out)[0]["tags"]


def test_notices_become_info_results():
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "models"}}
    code, out, err = run_krm(resource_list(kpt_item(iris(), "a.yaml"), kpt_item(widget, "w.yaml")))
    assert code == 0, err
    infos = [r for r in out["results"] if r["tags"]["code"] == "KSC117"]
    assert infos and infos[0]["severity"] == "info"
    assert infos[0]["resourceRef"]["kind"] == "Widget" and infos[0]["file"] == {"path": "w.yaml", "index": 0}


def test_strict_turns_warnings_into_failure():
    graph = {"apiVersion": "serving.kserve.io/v1alpha1", "kind": "InferenceGraph",
             "metadata": {"name": "g", "namespace": "models"}, "spec": {"nodes": {}}}
    items = [kpt_item(iris(), "a.yaml"), kpt_item(graph, "g.yaml")]
    code, out, _ = run_krm(resource_list(*items, config=config_map(strict="false")))
    assert code == 0 and any(r["severity"] == "warning" for r in out["results"])
    code, out, err = run_krm(resource_list(*items, config=config_map(strict="true")))
    assert code == 1
    assert out["items"] == items
    assert "warning KSC116" in err


@pytest.mark.parametrize("config, field, message", [
    (config_map(defaultNamspace="models"), "data.defaultNamspace", 'did you mean "defaultNamespace"?'),
    ({"apiVersion": "x/v1", "kind": "KServeCompile", "metadata": {"name": "c"}, "spec": {"path": ["a"]}},
     "spec.path", 'did you mean "paths"?'),
    (config_map(strict="maybe"), "data.strict", "must be true or false"),
    ({"apiVersion": "x/v1", "kind": "KServeCompile", "metadata": {"name": "c"},
      "spec": {"kubernetesVersion": 1.3}}, "spec.kubernetesVersion", 'quote a version'),
])
def test_bad_function_config_is_an_error_result(config, field, message):
    items = [kpt_item(iris(), "src/iris.yaml")]
    code, out, err = run_krm(resource_list(*items, config=config))
    assert code == 1
    assert out["items"] == items
    [result] = errors(out)
    assert result["tags"]["code"] == "KSC702"
    assert result["field"] == {"path": field} and message in result["message"]
    assert "error KSC702" in err


def test_function_config_of_another_kind_is_refused():
    config = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}}
    code, out, err = run_krm(resource_list(kpt_item(iris(), "a.yaml"), config=config))
    assert code == 1 and errors(out)[0]["tags"]["code"] == "KSC702"
    assert "ConfigMap (data) or a KServeCompile (spec)" in err


@pytest.mark.parametrize("stdin", ["", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", "items: [\n"])
def test_input_that_is_not_a_resource_list(stdin):
    code, out, err = run_krm(stdin)
    assert code == 1
    assert out["kind"] == "ResourceList" and out["items"] == []
    assert errors(out)
    assert "error KSC701" in err or "error KSC101" in err


def test_an_item_that_is_not_an_object():
    code, out, err = run_krm(resource_list(kpt_item(iris(), "a.yaml"), {"metadata": {"name": "x"}}))
    assert code == 1
    assert [r["tags"]["code"] for r in errors(out)] == ["KSC703"]


def test_an_internal_error_is_exit_3_with_a_resource_list_still_on_stdout(monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("spec")
    monkeypatch.setattr(pipeline, "compile", broken)
    items = [kpt_item(iris(), "a.yaml")]
    code, out, err = run_krm(resource_list(*items))
    assert code == 3
    assert out["items"] == items and errors(out)[0]["tags"]["code"] == "KSC500"
    assert "bug in kserve-compiler" in err


# ---------------------------------------------------------------------------------------------------
# Generator mode: sources read from disk


def test_generator_reads_paths_and_matches_build(tmp_path, monkeypatch, run_cli):
    shutil.copytree(EXAMPLES / "repo", tmp_path / "repo")
    monkeypatch.chdir(tmp_path)
    config = {"apiVersion": "kserve-compiler.example/v1alpha1", "kind": "KServeCompile",
              "metadata": {"name": "c", "annotations": {LOCAL_CONFIG: "true"}}, "spec": {"paths": ["repo"]}}
    code, out, err = run_krm(resource_list(config, config=config))   # kustomize: items = the config only
    assert code == 0, err
    assert out["items"][0] == config
    new = out["items"][1:]
    assert {(o["kind"], o["metadata"]["annotations"][PATH]) for o in new} >= {
        ("Deployment", "models/iris-predictor.deployment.yaml"), ("Namespace", "_cluster/models.namespace.yaml"),
        ("Deployment", "default/churn-predictor.deployment.yaml")}
    assert not [o for o in new if o["apiVersion"].startswith("serving.kserve.io")]
    build = run_cli("build", "repo")
    assert build.exit_code == 0, build.stderr
    for obj in new:
        for key in (PATH, LEGACY_PATH):
            del obj["metadata"]["annotations"][key]
        if not obj["metadata"]["annotations"]:
            del obj["metadata"]["annotations"]
    assert new == list(yaml.safe_load_all(build.stdout))


def test_generator_path_that_does_not_exist(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_krm(resource_list(config=config_map(paths="missing,also-missing")))
    assert code == 1
    assert "does not exist" in errors(out)[0]["message"]


# ---------------------------------------------------------------------------------------------------
# The installed console script


def test_entry_point_prints_only_the_resource_list():
    rl = yaml.safe_dump(resource_list(kpt_item(iris(), "src/iris.yaml")))
    done = run_entry_point("krm", input=rl)
    assert done.returncode == 0, done.stderr
    [out] = list(yaml.safe_load_all(done.stdout))
    assert out["kind"] == "ResourceList" and generated(out)
    # The summary line: the items read and what was made from them (issue 15)
    assert done.stderr.splitlines()[-1].startswith("kserve-compiler: 1 document, 1 InferenceService, 14 runtimes "
                                                   "(14 built in) -> ")
    assert done.stderr.rstrip().endswith("; 0 errors, 0 warnings, 1 notice")


# ---------------------------------------------------------------------------------------------------
# kustomize's legacy exec plugin (kserve-compiler kustomize-plugin CONFIG_FILE)


def plugin(tmp_path, spec: dict, stdin: str = "", env: dict | None = None, monkeypatch=None) -> tuple[int, str, str]:
    config = tmp_path / "kust-plugin-config-1"
    config.write_text(yaml.safe_dump({"apiVersion": "kserve-compiler.example/v1alpha1", "kind": "KServeCompile",
                                      "metadata": {"name": "compile"}, "spec": spec}))
    out, err = io.StringIO(), io.StringIO()
    code = kustomize_plugin.run(str(config), io.BytesIO(stdin.encode()), out, err)
    return code, out.getvalue(), err.getvalue()


def test_exec_plugin_transformer_replaces_consumed_inputs(tmp_path):
    stream = IRIS_TEXT + "---\n" + yaml.safe_dump(NAMESPACE)
    code, out, err = plugin(tmp_path, {"defaultNamespace": "models"}, stream)
    assert code == 0, err
    objects = list(yaml.safe_load_all(out))
    assert objects[0] == NAMESPACE
    assert not [o for o in objects if o["kind"] == "InferenceService"]
    assert ("Deployment", "iris-predictor") in {(o["kind"], o["metadata"]["name"]) for o in objects}
    assert all(PATH not in (o["metadata"].get("annotations") or {}) for o in objects)


def test_exec_plugin_generator_reads_paths_relative_to_the_kustomization(tmp_path, monkeypatch):
    root = tmp_path / "kust"
    shutil.copytree(EXAMPLES / "repo", root / "repo")
    monkeypatch.setenv("KUSTOMIZE_PLUGIN_CONFIG_ROOT", str(root))
    monkeypatch.chdir(tmp_path)  # kustomize's cwd is not what paths are relative to: the root is
    code, out, err = plugin(tmp_path, {"paths": ["repo"]})
    assert code == 0, err
    kinds = [o["kind"] for o in yaml.safe_load_all(out)]
    assert "Deployment" in kinds and "Namespace" in kinds and "InferenceService" not in kinds


def test_exec_plugin_zero_objects_is_an_error_unless_allow_empty(tmp_path):
    stream = "# nothing yet\n"
    code, out, err = plugin(tmp_path, {}, stream)
    assert (code, out) == (1, "")
    assert "error KSC608" in err
    code, out, err = plugin(tmp_path, {"allowEmpty": True}, stream)
    assert code == 0, err
    assert [d for d in yaml.safe_load_all(out) if d] == []


def test_exec_plugin_pass_through_objects_alone_are_not_empty(tmp_path):
    """Issue 13: the empty-build error is for zero emitted objects, generated or passed through."""
    code, out, err = plugin(tmp_path, {}, yaml.safe_dump(NAMESPACE))
    assert code == 0, err
    assert list(yaml.safe_load_all(out)) == [NAMESPACE]


def test_exec_plugin_errors_go_to_stderr_with_nothing_on_stdout(tmp_path):
    code, out, err = plugin(tmp_path, {"defaultNamespce": "x"}, IRIS_TEXT)
    assert (code, out) == (1, "")
    assert "error KSC702" in err and 'did you mean "defaultNamespace"' in err
    code, out, err = plugin(tmp_path, {}, IRIS_TEXT.replace("storageUri", "storageUrl"))
    assert (code, out) == (1, "")
    assert "error KSC201" in err


def test_exec_plugin_names_the_source_file_from_kustomize_origin(tmp_path, monkeypatch):
    (tmp_path / "iris.yaml").write_text(IRIS_TEXT.replace("storageUri", "storageUrl"))
    monkeypatch.chdir(tmp_path)
    item = yaml.safe_load(IRIS_TEXT.replace("storageUri", "storageUrl"))
    item["metadata"]["annotations"] = {"config.kubernetes.io/origin": "path: iris.yaml\n",
                                       "kustomize.config.k8s.io/id": "kind: InferenceService\nname: iris\n"}
    code, out, err = plugin(tmp_path, {}, yaml.safe_dump(item))
    assert code == 1
    assert err.startswith("iris.yaml:12:7: error KSC201: ")


def test_options_doc_lists_every_key():
    # docs/hosts.md documents the functionConfig keys; keep it in step with the code
    from conftest import REPO
    hosts = (REPO / "docs/hosts.md").read_text()
    for key in function_config._KEYS:
        assert f"`{key}`" in hosts, key
