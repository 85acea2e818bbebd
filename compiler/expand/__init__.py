"""Expand: one resolved InferenceService -> the objects KServe v0.20's controller creates in Standard
(raw) mode: per component a Deployment, a Service, (where KServe makes one) an HPA or a KEDA ScaledObject
and, for opentelemetry pod metrics, an OpenTelemetryCollector; per
InferenceService its Ingress, or with Gateway API its HTTPRoutes (docs/kserve-behaviour.md §4.5, §6). Pure:
data in, objects and Diagnostics out.

The order follows the controller (raw/raw_kube_reconciler.go NewRawKubeReconciler): the autoscaler class
is read, the component's host is rendered and checked, then the objects are built. A component that fails
gets no objects and the InferenceService no Ingress, as KServe stops reconciling it at that point.
"""

from __future__ import annotations

from compiler.diagnostics import Diagnostic, error, has_errors, notice
from dataclasses import replace

from compiler.expand import (canary, deployment, hpa, httproute, ingress, keda, metadata, multinode, otel, pod,
                             service)
from compiler.expand.context import ExpandContext
from compiler.model import InferenceService, has_worker_spec
from compiler.resolve import Resolution

# Codes (KSC450-459: the stage itself)
STOPPED = "KSC450"

STOP_ANNOTATION = "serving.kserve.io/stop"           # constants.StopAnnotationKey


def webhook_rules(isvc: InferenceService) -> list[Diagnostic]:
    """The admission webhook's canary (KSC246) and multi-node (KSC247) rules: expand's first step, and what
    `validate` checks of them (per_service.py), so both commands refuse the same InferenceServices."""
    return canary.check(isvc) + multinode.check(isvc)


def expand(isvc: InferenceService, resolutions: list[Resolution], ctx: ExpandContext
           ) -> tuple[list[dict], list[Diagnostic]]:
    config = ctx.config
    problem = ingress.template_error(config)
    if problem:
        return [], [error(ingress.DOMAIN_TEMPLATE, f"failed creating host name: {problem}",
                          **isvc.doc.where(("metadata", "name")),
                          hint=f"ingress.domainTemplate comes from {config.source}")]
    diags = webhook_rules(isvc)
    if has_errors(diags):
        return [], diags
    meta = metadata.isvc_meta(isvc, pod.server_type_labels(resolutions[0]))
    objects: list[dict] = []
    names: dict[str, str] = {}
    specs: dict[str, dict] = {}
    failed = False
    for res in resolutions:
        comp = res.component
        if comp.canary is not None:     # reconcileCanaryDeployments: objects of its own, no route to it
            built, comp_diags = _component(isvc, meta, replace(res, component=canary.pod_component(comp)), ctx,
                                           canary.extension(isvc, comp))
            diags += comp_diags
            failed = failed or built is None
            objects += built or []
            continue
        ext = canary.stable_extension(isvc) if comp.kind == "predictor" else comp.spec
        built, comp_diags = _component(isvc, meta, res, ctx, ext)
        diags += comp_diags
        if built is None:
            failed = True
            continue
        names[res.component.kind] = metadata.component_name(isvc, res.component)
        specs[res.component.kind] = res.component.spec
        objects += built
    if not failed:
        diags += _ingress(isvc, meta, names, specs, ctx, objects)
    return objects, diags


def _component(isvc: InferenceService, meta: dict, res: Resolution, ctx: ExpandContext, ext: dict
               ) -> tuple[list[dict] | None, list[Diagnostic]]:
    """`ext` is the ComponentExtensionSpec the raw reconciler gets (the component's own spec, but for
    canaries and the stable predictor beside them)."""
    comp, config = res.component, ctx.config
    where = isvc.doc.where(comp.path)
    result = pod.build_pod(res, meta, ctx)
    diags = list(result.diagnostics)
    if has_errors(diags):
        return None, diags
    name = metadata.component_name(isvc, comp)
    cmeta, meta_diags = metadata.component_meta(isvc, meta, res, result.annotations, config, name=name)
    diags += meta_diags
    worker = None
    if comp.kind == "predictor" and comp.canary is None and has_worker_spec(comp.spec):
        worker_pod, worker_diags = multinode.worker_pod(res, result.spec)   # adds the head's env too
        diags += worker_diags
        if worker_pod is None:
            return None, diags
        cmeta = multinode.head_meta(cmeta)
        wmeta = multinode.worker_meta(isvc, meta, res, result.annotations, config, cmeta)
        diags += multinode.inject_worker_storage(worker_pod, wmeta, ctx, where)
        if has_errors(diags):
            return None, diags
        worker = (wmeta, worker_pod)
    problem = _precheck(isvc, comp, cmeta, config)
    if problem is not None:
        return None, [*diags, problem]
    if _stopped(cmeta.annotations):
        diags.append(notice(STOPPED, f"{comp.kind} {name} is stopped ({STOP_ANNOTATION}: true): KServe creates "
                            "no Deployment, Service or HPA for it", **where))
        return [], diags
    objects = [deployment.build(cmeta, result.spec, ext, config)]
    extra = multinode.objects(cmeta, objects[0], *worker, ext, config) if worker else []
    objects += [*extra[:1], service.build(cmeta, result.spec, ext, config), *extra[1:]]
    collector = otel.build(cmeta, ext, config)
    if collector is not None:
        objects.append(collector)
        diags.append(otel.otel_notice())
    scaled = replace(comp, spec=ext)  # a stable predictor's minReplicas less its canaries' (canary.py)
    if hpa.autoscaler_class(cmeta.annotations) == "keda":
        scaler, scaler_diags = keda.build(cmeta, scaled, isvc, config)
    else:
        scaler, scaler_diags = hpa.build(cmeta, scaled, isvc)
    diags += scaler_diags
    if scaler is not None:
        objects.append(scaler)
        if scaler["kind"] == keda.KIND:
            diags.append(keda.keda_notice())
    return objects, diags


def _precheck(isvc: InferenceService, comp, cmeta: metadata.ComponentMeta, config) -> Diagnostic | None:
    """What NewRawKubeReconciler fails on before any object exists: the autoscaler class (merged
    annotations, which the webhook never checked) and the component's host name."""
    cls = hpa.autoscaler_class(cmeta.annotations)
    if cls not in hpa.CLASSES:
        return error(hpa.UNKNOWN_CLASS, f"unknown autoscaler class type: {cls}", **isvc.doc.where(comp.path),
                     hint=f"{hpa.AUTOSCALER_CLASS} must be one of {', '.join(hpa.CLASSES)} "
                          "(it may come from the runtime's or the component's annotations)")
    _, problem = ingress.domain_name(cmeta.name, cmeta.namespace, cmeta.annotations, cmeta.template_labels, config)
    if problem:
        return error(ingress.HOST_NAME, f"failed creating host name: {problem}", **isvc.doc.where(("metadata", "name")),
                     hint=f"{comp.kind} {cmeta.name}: a DNS label holds at most 63 characters; shorten the "
                          "InferenceService name (or predictor.name), or change ingress.domainTemplate")
    return None


def _ingress(isvc: InferenceService, meta: dict, names: dict, specs: dict, ctx: ExpandContext,
             objects: list[dict]) -> list[Diagnostic]:
    config = ctx.config
    if _stopped(meta["annotations"]) or ingress.skipped(meta, config):
        return []
    if config.ingress.enable_gateway_api:
        return _httproutes(isvc, meta, names, specs, config, objects)
    built, problem = ingress.build(meta, names, config)
    if problem:
        return [error(ingress.INGRESS_HOST, problem, **isvc.doc.where(("metadata", "name")),
                      hint="the Ingress hosts are rendered with the InferenceService's own labels and annotations")]
    objects.append(built)
    return []


def _httproutes(isvc: InferenceService, meta: dict, names: dict, specs: dict, config, objects: list[dict]
                ) -> list[Diagnostic]:
    """RawHTTPRouteReconciler: the Services KServe would read back are the ones just built."""
    services = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Service"}
    try:
        routes = httproute.build(meta, names, specs, services, config)
    except httproute.RouteError as exc:
        return [error(exc.code, str(exc), **isvc.doc.where(("metadata", "name")),
                      hint=f"the HTTPRoutes' hosts and paths come from ingress.domainTemplate and pathTemplate "
                           f"({config.source}) and the InferenceService's own labels and annotations")]
    objects += routes
    return [httproute.gateway_notice(config)]


def _stopped(annotations: dict) -> bool:
    """utils.GetForceStopRuntime: the value compares case-insensitively with "true"."""
    value = annotations.get(STOP_ANNOTATION)
    return isinstance(value, str) and value.lower() == "true"
