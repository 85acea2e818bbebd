"""Multi-node node and GPU counts (computeRayNodeAndGPUs, computeMpNodeAndGPUs) and the webhook's rules,
from the scenarios of KServe v0.20.0 rawkube_controller_test.go "with workerSpec"."""

from __future__ import annotations

import pytest

from compiler import model
from compiler.expand import multinode


@pytest.mark.parametrize("total, head, worker, expected", [
    (2, 0, 0, (2, 1, 1)),        # no GPU anywhere: one node per GPU
    (4, 0, 2, (2, 2, 2)),        # worker GPU 2: ceil(4 / 2) nodes, the head gets the rest
    (3, 2, 0, (2, 1, 2)),        # only the head's GPUs: one-GPU workers for the rest
    (2, 2, 1, (1, 0, 2)),        # head GPU count equal to the total: head only, 0 workers
    (2, 0, 2, (1, 0, 2)),        # worker GPU count equal to the total: head only, 0 workers
])
def test_ray_counts(total, head, worker, expected) -> None:
    assert multinode._ray_counts(total, head, worker) == expected


def test_ray_counts_too_few_gpus() -> None:
    """A head request of 1 beside workers of 2 cannot cover 6 GPUs on ceil(6 / 2) nodes."""
    assert multinode._ray_counts(6, 1, 2) == ("the total required number of GPUs(6) is less than the number of "
                                              "GPUs assigned to the head node(1) + worker node(4)")


def test_multi_node_even_for_an_empty_worker_spec() -> None:
    assert model.has_worker_spec({"workerSpec": {}}) and not model.has_worker_spec({})
