"""Istio's own 1.1 sample manifests (httpbin, sleep), read in place from ``../shared/data``."""

from __future__ import annotations

import pytest

import meshlock
from paths import SHARED_DATA

SAMPLES = SHARED_DATA / "istio-samples" / "1.1"


@pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"{SAMPLES} is absent (the shared data folder is not beside the repository)")
def test_istio_1_1_samples_load_in_place() -> None:
    httpbin, sleep = SAMPLES / "httpbin.yaml", SAMPLES / "sleep.yaml"
    mesh = meshlock.load([httpbin, sleep], namespace="foo", istio_version="1.1")
    # extensions/v1beta1 Deployments are modelled; the ServiceAccount is reported as ignored.
    ignored = [d for d in mesh.diagnostics if d.code == "ML103"]
    assert any("ServiceAccount" in d.message and d.source == str(sleep) for d in ignored), mesh.diagnostics
    out = mesh.probe("foo/sleep", "httpbin:8000/ip")
    assert (out.status, out.curl_exit, out.transport, out.reason) == ("200", 0, meshlock.Transport.PLAINTEXT, meshlock.Reason.PLAINTEXT)
    assert {c.id for c in mesh.matrix().clients} == {"foo/httpbin", "foo/sleep"}
    # The guide's step-3 Policy on top of the samples: neither workload is injected here (no
    # sidecar anywhere), so nothing enforces STRICT and plaintext still flows (row h).
    strict = mesh.apply(
        "apiVersion: authentication.istio.io/v1alpha1\nkind: Policy\nmetadata: {name: strict}\n"
        "spec: {targets: [{name: httpbin}], peers: [{mtls: {mode: STRICT}}]}\n",
        namespace="foo",
    )
    assert strict.probe("foo/sleep", "httpbin:8000").reason is meshlock.Reason.PLAINTEXT
