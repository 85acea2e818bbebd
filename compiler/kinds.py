"""What we know about kinds without a cluster: which are cluster-scoped, which only configure a host
tool, and which are KServe's inputs that a build consumes (docs/design.md Decisions 1 and 2)."""

from __future__ import annotations

from compiler.document import Document

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "kserve-compiler"
SOURCE_ANNOTATION = "kserve-compiler/source"
LOCAL_CONFIG = "config.kubernetes.io/local-config"

# Kubernetes' built-in cluster-scoped kinds (by kind; their groups do not collide with namespaced ones).
CLUSTER_SCOPED = frozenset({
    "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
    "StorageClass", "PriorityClass", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
    "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding", "APIService", "IngressClass", "RuntimeClass", "CSIDriver", "CSINode",
    "VolumeAttachment", "CertificateSigningRequest", "FlowSchema", "PriorityLevelConfiguration",
    "ComponentStatus", "DeviceClass", "ResourceSlice", "VolumeAttributesClass", "IPAddress", "ServiceCIDR",
    "TokenReview", "SelfSubjectReview", "SelfSubjectAccessReview", "SelfSubjectRulesReview",
    "SubjectAccessReview", "ClusterTrustBundle", "ClusterServingRuntime", "ClusterStorageContainer",
    "GatewayClass", "ClusterIssuer",
})
# Kubernetes' built-in namespaced kinds a repo commonly holds; anything else is "unknown" (a notice).
NAMESPACED = frozenset({
    "ConfigMap", "Secret", "ServiceAccount", "Service", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet",
    "Job", "CronJob", "Pod", "PersistentVolumeClaim", "Role", "RoleBinding", "Ingress", "NetworkPolicy",
    "HorizontalPodAutoscaler", "PodDisruptionBudget", "LimitRange", "ResourceQuota", "Endpoints",
    "EndpointSlice", "Event", "Lease", "PodTemplate", "ReplicationController", "ControllerRevision",
    "CSIStorageCapacity", "ResourceClaim", "ResourceClaimTemplate", "HTTPRoute", "GRPCRoute", "Gateway",
    "ReferenceGrant", "InferenceService", "ServingRuntime", "InferenceGraph", "TrainedModel",
})
CONSUMED_KINDS = frozenset({"InferenceService", "ServingRuntime", "ClusterServingRuntime",
                            "ClusterStorageContainer"})
CONFIG_ONLY_GROUPS = ("kustomize.config.k8s.io", "kpt.dev", "config.kubernetes.io")
CONFIG_ONLY_KINDS = frozenset({"ConfigManagementPlugin", "KServeCompile", "ResourceList"})


def group_of(api_version: str) -> str:
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def is_config_only(doc: Document) -> bool:
    """Items that configure a host tool and never reach the cluster (Decision 1)."""
    return (group_of(doc.api_version) in CONFIG_ONLY_GROUPS or doc.kind in CONFIG_ONLY_KINDS
            or str(doc.annotations.get(LOCAL_CONFIG, "")).lower() == "true")


def is_ours(doc: Document) -> bool:
    """An object a previous build generated (KRM drops and regenerates them; Decision 10)."""
    return doc.labels.get(MANAGED_BY_LABEL) == MANAGED_BY


def is_cluster_scoped(kind: str, extra: frozenset = frozenset()) -> bool:
    return kind in CLUSTER_SCOPED or kind in extra
