"""compiler/diff: the object comparison a reviewer reads (rollouts apart from metadata-only changes, one line per
changed field, named list items matched by name) and the caps that keep a pull-request comment postable."""

from __future__ import annotations

from collections import Counter

from compiler.diff.causes import RESELECTED, Cause, ComponentDiff, Report, ServiceDiff
from compiler.diff.compare import ADDED, METADATA, REMOVED, ROLLOUT, SPEC, ObjectChange, compare_objects, field_changes
from compiler.diff.render import render_github, render_markdown
from compiler.diff.snapshot import Place

DEPLOYMENT = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "iris-predictor", "namespace": "ml"},
              "spec": {"replicas": 1, "template": {"spec": {"containers": [
                  {"name": "kserve-container", "image": "a:1", "env": [{"name": "X", "value": "1"}]}]}}}}


def _with(obj: dict, **changes) -> dict:
    import copy
    out = copy.deepcopy(obj)
    for path, value in changes.items():
        node = out
        *parents, last = path.split("__")
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[last] = value
    return out


def _key(obj: dict) -> tuple:
    return ("apps", obj["kind"], obj["metadata"]["namespace"], obj["metadata"]["name"])


def test_a_pod_template_change_is_a_rollout_and_a_label_change_is_not():
    relabelled = _with(DEPLOYMENT, metadata__labels={"team": "a"})
    rescaled = _with(DEPLOYMENT, spec__replicas=3)
    reimaged = _with(DEPLOYMENT, spec__template__spec__containers__0__image="a:2")
    for after, expected in ((relabelled, METADATA), (rescaled, SPEC), (reimaged, ROLLOUT)):
        [change] = compare_objects({_key(DEPLOYMENT): DEPLOYMENT}, {_key(after): after}, {}, {})
        assert change.change == expected


def test_added_and_removed_objects():
    other = _with(DEPLOYMENT, metadata__name="other")
    changes = compare_objects({_key(DEPLOYMENT): DEPLOYMENT}, {_key(other): other}, {}, {})
    assert [(c.name, c.change) for c in changes] == [("iris-predictor", REMOVED), ("other", ADDED)]


def test_named_list_items_are_matched_by_name():
    container = DEPLOYMENT["spec"]["template"]["spec"]["containers"][0]
    after = dict(container, env=[{"name": "Y", "value": "2"}, {"name": "X", "value": "1"}])
    assert [(f.path, f.before, f.after) for f in field_changes(container, after)] == [
        ("env[Y]", None, {"name": "Y", "value": "2"})]
    reordered = dict(container, env=[{"name": "X", "value": "1"}, {"name": "Y", "value": "2"}])
    swapped = dict(container, env=[{"name": "Y", "value": "2"}, {"name": "X", "value": "1"}])
    assert [f.path for f in field_changes(reordered, swapped)] == ["env (order)"]


def _report(n: int) -> Report:
    services = []
    for i in range(n):
        change = ObjectChange(("apps", "Deployment", "ml", f"m{i:04}-predictor"), ROLLOUT,
                              owner=("ml", f"m{i:04}", "predictor"))
        cause = Cause(RESELECTED, "runtime re-selected from a to b: a priority change", Place("rt,1.yaml", 7), "a", "b",
                      "a priority change")
        services.append(ServiceDiff("ml", f"m{i:04}", "changed", Place(f"m{i}.yaml", 1),
                                    components=[ComponentDiff("predictor", [cause], [change])]))
    return Report("main", "work tree", services, counts=Counter({ROLLOUT: n}), reroutes=Counter({("a", "b"): n}))


def test_markdown_shows_the_first_services_and_counts_the_rest():
    text = render_markdown(_report(60), max_services=50)
    assert text.startswith("## kserve-compiler diff: re-routes 60 InferenceServices from a to b\n")
    assert text.count("<details>") == 50
    assert "… and 10 more InferenceServices not shown" in text


def test_markdown_is_cut_below_the_limit_with_a_note():
    text = render_markdown(_report(50), max_chars=3000)
    assert len(text) <= 3000
    assert text.rstrip().endswith("for every change.")
    assert text.count("<details>") == text.count("</details>")  # cut between sections, never inside one


def test_github_annotation_per_changed_line_with_escaped_file_name():
    lines = render_github(_report(3)).splitlines()
    assert lines[0] == ("::notice file=rt%2C1.yaml,line=7,title=kserve-compiler diff::re-routes from a to b: "
                        "a priority change (3 InferenceServices)")
    assert lines[-1].startswith("::notice title=kserve-compiler diff::re-routes 3 InferenceServices from a to b")
