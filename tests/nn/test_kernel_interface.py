"""The kernels' named interface: optimizer codes from the update table, serial twins that reach no thread,
and per-start rows of stacked records."""

import numpy as np

from astromlp.nn.kernels.interface import Scratch, row
from astromlp.nn.kernels.jit import kernel
from astromlp.nn.kernels.training import run_epoch, run_epoch_many
from astromlp.nn.kernels.twins import _callees, serial_twin
from astromlp.nn.kernels.updates import UPDATE_TABLE
from astromlp.nn.optimizers import OPTIMIZERS
from astromlp.nn.workspace import stacked


def test_each_optimizer_runs_the_update_rule_of_its_name():
    for name, cls in OPTIMIZERS.items():
        assert UPDATE_TABLE[cls.code].py_func.__name__ == name == cls.rule
    assert sorted(cls.code for cls in OPTIMIZERS.values()) == list(range(len(UPDATE_TABLE)))


def _reachable(dispatcher, seen=None):
    seen = set() if seen is None else seen
    for callee in _callees(dispatcher).values():
        if callee not in seen:
            seen.add(callee)
            _reachable(callee, seen)
    return seen


def test_the_epoch_twin_reaches_no_parallel_kernel_while_the_epoch_kernel_does():
    def parallel(d):
        return bool(d.targetoptions.get("parallel"))

    assert any(parallel(d) for d in _reachable(run_epoch))
    twin = serial_twin(run_epoch)
    assert not parallel(twin) and not any(parallel(d) for d in _reachable(twin))
    assert serial_twin(run_epoch) is twin  # built once, shared
    assert _callees(run_epoch_many)["run_epoch_serial"] is twin


@kernel()
def _row_sums(scratches, k):
    s = row(scratches, k)
    return s.x.sum() + 10 * s.y.sum() + 100 * s.w.sum() + 1000 * s.grad.sum()


def test_row_takes_one_start_of_a_stacked_record_in_python_and_in_a_kernel():
    one = Scratch(np.arange(3.0), np.ones(2), np.zeros(1), np.full(4, 2.0))
    many = stacked(one, 3)
    many.x[1] += 1
    assert many.x.shape == (3, 3) and many.grad.flags.c_contiguous
    picked = row(many, 1)
    assert type(picked) is Scratch and np.array_equal(picked.x, one.x + 1)
    assert _row_sums(many, 1) == (3 + 3) + 10 * 2 + 0 + 1000 * 8
    assert _row_sums(many, 0) == 3 + 10 * 2 + 0 + 1000 * 8


def test_a_read_only_model_runs_the_kernels_compiled_for_writeable_ones():
    """Read-only tables (a memory-mapped model, joblib's read-only copies) reach the kernels as writeable
    arrays: Numba would type them apart and compile every kernel again (76 s of the suite's compile)."""
    from astromlp.nn.kernels.network import forward
    from astromlp.nn.layers import LayerSpec
    from astromlp.nn.network import Network

    net = Network.create(3, [LayerSpec(4, "relu")], 2, "squared_error", rng=np.random.default_rng(0))
    X = np.random.default_rng(1).normal(size=(10, 3))
    expected = net.forward(X)
    compiled = set(forward.signatures)
    for array in (net.layout.ilayout, net.layout.flayout, net.theta, net.running_mean, net.running_var):
        array.setflags(write=False)
    assert np.array_equal(net.forward(X), expected) and set(forward.signatures) == compiled
