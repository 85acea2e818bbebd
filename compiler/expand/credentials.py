"""Storage credentials for the storage-initializer, as KServe's credential builder adds them.

pkg/credentials/service_account_credentials.go (CreateSecretVolumeAndEnv, mountSecretCredential,
CreateStorageSpecSecretEnvs) and its s3, gcs, azure, https, hdfs, hf and ms helpers. KServe reads the
ServiceAccount and Secrets from the cluster; offline we read those among the sources (ctx.service_accounts,
ctx.secrets) and say, once per (namespace, name), what we could not read (docs/kserve-behaviour.md §5 "Target clusters").
"""

from __future__ import annotations

import base64
import binascii
import json

from compiler.diagnostics import Diagnostic, error, notice, warning
from compiler.expand.uri import go_json  # one JSON writer for Go's map[string]string

# Codes (KSC43x: storage credentials)
NOT_INJECTED = "KSC430"
STORAGE_SPEC_UNRESOLVED = "KSC431"
STORAGE_SPEC_ERROR = "KSC432"

IRSA = "eks.amazonaws.com/role-arn"
PLACEHOLDER = "<scheme-placeholder>://"
SPEC_TYPES = ("s3", "hdfs", "webhdfs")
# The `credentials` key of the release's inferenceservice-config (config/configmap/inferenceservice.yaml).
SHIPPED = {"gcs": {"gcsCredentialFileName": "gcloud-application-credentials.json"},
           "s3": {"s3AccessKeyIDName": "AWS_ACCESS_KEY_ID", "s3SecretAccessKeyName": "AWS_SECRET_ACCESS_KEY"}}
# BuildS3EnvVars, in its order: (annotation suffix, secret data key and env name, s3 config key).
S3_SETTINGS = (("s3-verifyssl", "S3_VERIFY_SSL", "s3VerifySSL"),
               ("s3-useanoncredential", "awsAnonymousCredential", "s3UseAnonymousCredential"),
               ("s3-region", "AWS_DEFAULT_REGION", "s3Region"),
               ("s3-usevirtualbucket", "S3_USER_VIRTUAL_BUCKET", "s3UseVirtualBucket"),
               ("s3-useaccelerate", "S3_USE_ACCELERATE", "s3UseAccelerate"),
               ("s3-cabundle", "AWS_CA_BUNDLE", "s3CABundle"),
               ("s3-cabundle-configmap", "AWS_CA_BUNDLE_CONFIGMAP", "s3CABundleConfigMap"))
AZURE_KEYS = ("AZURE_SUBSCRIPTION_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET",
              "AZURE_STORAGE_ACCESS_KEY", "AZURE_ACCESS_TOKEN", "AZURE_ACCESS_EXPIRES_ON_SECONDS",
              "AZURE_ACCOUNT_NAME", "AZURE_SERVICE_URL")
AZURE_LEGACY = {"AZURE_SUBSCRIPTION_ID": "AZ_SUBSCRIPTION_ID", "AZURE_TENANT_ID": "AZ_TENANT_ID",
                "AZURE_CLIENT_ID": "AZ_CLIENT_ID", "AZURE_CLIENT_SECRET": "AZ_CLIENT_SECRET"}
AZURE_IGNORE_EMPTY = {"AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_SUBSCRIPTION_ID", "AZURE_STORAGE_ACCESS_KEY",
                      "AZURE_ACCESS_TOKEN", "AZURE_ACCESS_EXPIRES_ON_SECONDS", "AZURE_ACCOUNT_NAME",
                      "AZURE_SERVICE_URL"}


def service_account_envs(init: dict, pod_spec: dict, *, namespace: str, service_account: str, annotations: dict,
                         ctx, where: dict) -> list[Diagnostic]:
    """CreateSecretVolumeAndEnv onto the init container (env, mounts) and the pod's volumes. `where` places
    a notice at the component that reads the ServiceAccount, so each names a file and line."""
    sa_name = service_account or "default"
    sa = _object(ctx.service_accounts, namespace, sa_name)
    cfg = credential_config(ctx.config)
    if sa is None:
        return [_not_read("ServiceAccount", namespace, sa_name, where)]
    meta = sa.get("metadata") or {}
    if IRSA in (meta.get("annotations") or {}):
        init.setdefault("env", []).extend(_s3_envs(meta.get("annotations") or {}, None, cfg))
    key = ctx.config.storage_secret_name_annotation
    if key and key in annotations:
        names = [str(annotations[key])]
    else:
        names = [str(ref.get("name")) for ref in sa.get("secrets") or [] if isinstance(ref, dict)]
    diags = []
    for name in names:
        secret = _object(ctx.secrets, namespace, name)
        if secret is None:
            diags.append(_not_read("Secret", namespace, name, where))
        else:
            _mount_secret(secret, name, init, pod_spec, cfg)
    return diags


def storage_spec_envs(init: dict, *, namespace: str, annotations: dict, key: str, params: dict, ctx,
                      where: dict) -> tuple[list[Diagnostic], bool]:
    """CreateStorageSpecSecretEnvs for the `storage:` form: (diagnostics, whether the init container
    could be completed). Without the Secret among the sources, the storage type must come from
    storage.parameters.type (and the bucket, for s3) or we cannot write the download URI."""
    stype, bucket = str(params.get("type") or ""), str(params.get("bucket") or "")
    secret_name = ctx.config.storage_spec_secret_name or "storage-config"
    if ctx.config.storage_secret_name_annotation in annotations:
        secret_name = str(annotations[ctx.config.storage_secret_name_annotation])
    secret = _object(ctx.secrets, namespace, secret_name)
    diags: list[Diagnostic] = []
    env = init.setdefault("env", [])
    if secret is None:
        diags.append(warning(STORAGE_SPEC_UNRESOLVED, f"the storage: form reads Secret {namespace}/{secret_name}, "
                             "which is not among the sources; no credentials are added", **where,
                             hint=f"add the Secret {secret_name} to the sources, or use storageUri"))
        if not stype or (stype in ("s3",) and not bucket):
            diags.append(warning(STORAGE_SPEC_UNRESOLVED, "the storage type (and bucket) of the storage: form "
                                 "come from that Secret, so no storage-initializer is written; KServe's pod "
                                 "webhook injects it on clusters that run it", **where,
                                 hint="set storage.parameters.type (and bucket for s3) to compile it offline"))
            return diags, False
    else:
        data = _secret_data(secret)
        if key:
            if key not in data:
                return [error(STORAGE_SPEC_ERROR, f"specified storage key {key} not found in storage secret "
                              f"{secret_name}", **where)], False
        else:
            key = f"default_{stype}" if stype else "default"
        if key in data:
            if not stype:
                try:
                    config = json.loads(data[key])
                except json.JSONDecodeError as exc:
                    return [error(STORAGE_SPEC_ERROR, f"invalid json encountered in key {key} of storage secret "
                                  f"{secret_name}: {exc.msg}", **where)], False
                config = config if isinstance(config, dict) else {}
                if "type" in config:
                    stype = str(config["type"])
                    if stype not in SPEC_TYPES:
                        return [error(STORAGE_SPEC_ERROR, f"storage type must be one of [{', '.join(SPEC_TYPES)}]. "
                                      f"storage type [{stype}] is not supported", **where)], False
                if "bucket" in config and not bucket:
                    bucket = str(config["bucket"])
                if "cabundle_configmap" in config:
                    env.append({"name": "AWS_CA_BUNDLE_CONFIGMAP", "value": str(config["cabundle_configmap"])})
            env.append({"name": "STORAGE_CONFIG",
                        "valueFrom": {"secretKeyRef": {"name": secret_name, "key": key}}})
    if not stype:
        return diags + [error(STORAGE_SPEC_ERROR, "unable to determine storage type", **where)], False
    args = init.get("args") or []
    if args and str(args[0]).startswith(PLACEHOLDER):
        for i in range(0, len(args), 2):
            path = str(args[i])[len(PLACEHOLDER):]
            if stype == "s3":
                if not bucket:
                    return diags + [error(STORAGE_SPEC_ERROR, f"format [{stype}] requires a bucket but one wasn't "
                                          "found in storage data or parameters", **where)], False
                args[i] = f"{stype}://{bucket}/{path}"
            else:
                args[i] = f"{stype}://{path}"
    if params:
        env.append({"name": "STORAGE_OVERRIDE_CONFIG", "value": go_json(params)})
    if not env:
        init.pop("env", None)
    return diags, True


def credential_config(config) -> dict:
    """The `credentials` key of the configuration in use: a user ConfigMap's as given (absent: Go's
    zero values), the built-in one as the release ships it."""
    raw = getattr(config, "credentials", None)
    if isinstance(raw, dict):
        return raw
    return SHIPPED if getattr(config, "builtin", False) else {}


# ---------------------------------------------------------------------------------------------------


def _mount_secret(secret: dict, name: str, init: dict, pod_spec: dict, cfg: dict) -> None:
    """mountSecretCredential: the first kind of credential the Secret holds wins."""
    data = _secret_data(secret)
    s3, gcs = cfg.get("s3") or {}, cfg.get("gcs") or {}
    s3_secret_key = s3.get("s3SecretAccessKeyName") or "awsSecretAccessKey"
    gcs_file = gcs.get("gcsCredentialFileName") or "gcloud-application-credentials.json"
    env = init.setdefault("env", [])
    if s3_secret_key in data:
        envs = [_ref("AWS_ACCESS_KEY_ID", name, s3.get("s3AccessKeyIDName") or "awsAccessKeyID"),
                _ref("AWS_SECRET_ACCESS_KEY", name, s3_secret_key),
                *_s3_envs((secret.get("metadata") or {}).get("annotations") or {}, data, cfg)]
        _merge_envs(env, envs)
    elif gcs_file in data:
        _volume(pod_spec, init, "user-gcp-sa", name, "/var/secrets/")
        env.append({"name": "GOOGLE_APPLICATION_CREDENTIALS", "value": "/var/secrets/" + gcs_file})
    elif any(k in data for k in ("AZ_CLIENT_ID", "AZURE_CLIENT_ID", "AZURE_ACCESS_TOKEN")):
        env.extend(_azure_envs(name, data))
    elif "AZURE_STORAGE_ACCESS_KEY" in data:
        env.append(_ref("AZURE_STORAGE_ACCESS_KEY", name, "AZURE_STORAGE_ACCESS_KEY"))
    elif "https-host" in data:
        if "headers" in data:
            env.append({"name": data["https-host"] + "-headers", "value": data["headers"]})
    elif "HDFS_NAMENODE" in data:
        _volume(pod_spec, init, "hdfs-secrets", name, "/var/secrets/kserve-hdfscreds")
    elif "HF_TOKEN" in data:
        env.append(_ref("HF_TOKEN", name, "HF_TOKEN"))
    elif "MODELSCOPE_API_TOKEN" in data:
        env.append(_ref("MODELSCOPE_API_TOKEN", name, "MODELSCOPE_API_TOKEN"))
    if not env:
        init.pop("env", None)


def _s3_envs(annotations: dict, data: dict | None, cfg: dict) -> list[dict]:
    """BuildS3EnvVars: each setting from the annotation, else the Secret's data, else the config."""
    s3 = cfg.get("s3") or {}

    def value(suffix: str, data_key: str, cfg_key: str) -> str:
        annotation = f"serving.kserve.io/{suffix}"
        if annotation in annotations:
            return str(annotations[annotation])
        if data is not None and data_key in data:
            return data[data_key]
        return str(s3.get(cfg_key) or "")

    envs = []
    endpoint = value("s3-endpoint", "S3_ENDPOINT", "s3Endpoint").strip()
    if endpoint:
        lowered = endpoint.lower()
        if lowered.startswith("https://"):
            use_https, host, url = "1", endpoint[8:], endpoint
        elif lowered.startswith("http://"):
            use_https, host, url = "0", endpoint[7:], endpoint
        else:
            use_https, host = value("s3-usehttps", "S3_USE_HTTPS", "s3UseHttps"), endpoint
            url = ("http://" if use_https == "0" else "https://") + endpoint
        if use_https:
            envs.append({"name": "S3_USE_HTTPS", "value": use_https})
        envs += [{"name": "S3_ENDPOINT", "value": host}, {"name": "AWS_ENDPOINT_URL", "value": url}]
    for suffix, data_key, cfg_key in S3_SETTINGS:
        found = value(suffix, data_key, cfg_key)
        if found:
            envs.append({"name": data_key, "value": found})
    return envs


def _azure_envs(name: str, data: dict) -> list[dict]:
    envs = []
    for key in AZURE_KEYS:
        data_key = AZURE_LEGACY[key] if AZURE_LEGACY.get(key) in data else key
        if data_key in data or data_key not in AZURE_IGNORE_EMPTY:
            envs.append(_ref(key, name, data_key))
    return envs


def _merge_envs(env: list, overrides: list) -> None:
    """utils.MergeEnvs: an existing name takes the override's value; new names are appended."""
    extra = []
    for override in overrides:
        existing = next((e for e in env if e.get("name") == override["name"]), None)
        if existing is None:
            extra.append(override)
        elif "value" in override:
            existing["value"] = override["value"]
        else:
            existing.pop("value", None)
    env.extend(extra)


def _volume(pod_spec: dict, init: dict, volume: str, secret: str, path: str) -> None:
    volumes = pod_spec.setdefault("volumes", [])
    if not any(v.get("name") == volume for v in volumes):
        volumes.append({"name": volume, "secret": {"secretName": secret}})
    init.setdefault("volumeMounts", []).append({"name": volume, "mountPath": path, "readOnly": True})


def _ref(env: str, secret: str, key: str) -> dict:
    return {"name": env, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def _not_read(kind: str, namespace: str, name: str, where: dict) -> Diagnostic:
    """One notice per component that reads the object (the text report groups them by code)."""
    return notice(NOT_INJECTED, f"storage credentials from {kind} {namespace}/{name} are not injected: it is not "
                  "among the sources, so kserve-compiler cannot read what KServe's credential builder would",
                  **where,
                  hint=f"add the {kind} to the sources to have its credentials written into the storage-initializer")


def _object(objects: dict, namespace: str, name: str) -> dict | None:
    found = (objects or {}).get((namespace, name))
    data = getattr(found, "data", found)  # a Document or the object's data
    return data if isinstance(data, dict) else None


def _secret_data(secret: dict) -> dict:
    """The Secret's keys with their decoded values (`data` is base64, `stringData` plain)."""
    out = {}
    for key, value in (secret.get("data") or {}).items():
        try:
            out[str(key)] = base64.b64decode(str(value), validate=True).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            out[str(key)] = str(value)
    for key, value in (secret.get("stringData") or {}).items():
        out[str(key)] = str(value)
    return out
