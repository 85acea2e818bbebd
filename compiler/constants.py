"""Names KServe's controller and webhooks agree on (pkg/constants/constants.go), defined once."""

from __future__ import annotations

KSERVE_CONTAINER = "kserve-container"             # constants.InferenceServiceContainerName
TRANSFORMER_CONTAINER = "transformer-container"   # constants.TransformerContainerName
STORAGE_INITIALIZER = "storage-initializer"       # constants.StorageInitializerContainerName
AUTOSCALER_CLASS_ANNOTATION = "serving.kserve.io/autoscalerClass"
AUTOSCALER_CLASSES = ("hpa", "external", "keda", "none")   # constants.AutoscalerAllowedClassList
DEPLOYMENT_MODE_ANNOTATION = "serving.kserve.io/deploymentMode"
# The annotation's old names, which KServe's defaulter rewrites to the current ones (docs/kserve-behaviour.md §3).
OLD_DEPLOYMENT_MODES = {"RawDeployment": "Standard", "Serverless": "Knative"}
OUTPUT_MARKER = ".kserve-compiler"  # the file that marks a folder as our output (emit/outdir.py writes it)
COMPONENTS = ("predictor", "transformer", "explainer")  # an InferenceService's, in the order KServe lists them
KSERVE_GROUP = "serving.kserve.io"                # the API group of every KServe kind we read
PROTOCOLS = ("v1", "v2", "grpc-v1", "grpc-v2")    # constants.InferenceServiceProtocol values, in resolve's rank order
