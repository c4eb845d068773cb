"""The named records the kernels take instead of long positional argument lists: Numba types each one as a
named tuple, so a field is read by name (``ws.grad_chunks``, ``hyper.beta1``) and a swapped index cannot compile.
Records are flat (no record inside another): Numba cannot hand a nested tuple to a ``prange`` loop's body.

Per-start records (``Start``, ``Workspace``, ``Scratch``) also come stacked, every field with a leading start
axis, for multi-start; ``row(record, k)`` takes start k's view of each field."""

from collections import namedtuple

from numba.extending import overload

#: The network as the kernels see it: integer and float layer tables (columns in ``nn/layers.py``; ``fl`` cast
#: to the parameter dtype), and the activation and loss rows its kernels compile (a ``kernels/rows.Rows``).
Layout = namedtuple("Layout", ["il", "fl", "rows"])

#: A forward pass: training (dropout, RReLU's random slopes, batch statistics) or evaluation, whether batch norm
#: updates its running statistics, and the random draws' seed and step (``network._uniform``).
Pass = namedtuple("Pass", ["training", "update_running", "seed", "step"])

#: Flat parameters and the batch-norm running mean and variance.
Params = namedtuple("Params", ["theta", "running_mean", "running_var"])

#: Buffers of one forward/backward pass (``nn/workspace.py`` sizes them): pre-activations after batch norm (and
#: the last layer's outputs), linear outputs before batch norm, layer outputs after activation and dropout,
#: dropout multipliers, maxout winners, gradients of the outputs and of the pre-activations, batch-norm batch
#: mean and 1/std, per-chunk partial sums, per-chunk gradients and per-chunk losses; then each element's
#: activation parameter for sloped activations (like ``a``; empty when no layer has one) and the dropped-out
#: inputs (like the input rows; empty without input dropout); last, the transposed weights of the layers whose
#: input gradient takes the vector tiles (like the parameters, each layer's W.T at its W's offset).
Workspace = namedtuple("Workspace", ["h", "z", "a", "drop", "argmax", "da", "dh", "bn_mean", "bn_invstd",
                                     "partial", "grad_chunks", "loss_chunks", "slope", "x_drop", "wt"])

#: Rows, targets and weights: the training set (2-D ``x``, ``y``) or a minibatch gathered from it (flat).
Batch = namedtuple("Batch", ["x", "y", "w"])

#: Optimizer hyperparameters (every rule reads the ones it needs; see ``kernels/updates.py``).
Hyper = namedtuple("Hyper", ["beta1", "beta2", "eps", "momentum", "weight_decay", "rho"])

#: How every start of a fit updates (with a ``Hyper``): the code of its row of ``UPDATE_TABLE`` (``rule``), the
#: elastic-net penalty l1 |w| + l2/2 w^2 (l2 in the gradient, l1 as the rule's proximal step), the bool mask
#: of the weights (the parameters that the penalty and weight decay touch), and the rules its kernels compile
#: (a ``kernels/rows.Rows``).
Update = namedtuple("Update", ["rule", "l1", "l2", "weight_mask", "rows"])

#: What an epoch shares across starts: the training set (rows, targets, weights), batch size, rows per chunk,
#: the loss's row of ``KERNEL_TABLE`` and the first minibatch's dropout step.
Epoch = namedtuple("Epoch", ["x", "y", "w", "batch_size", "chunk", "loss", "step0"])

#: One start's state for an epoch: parameters and running statistics, optimizer moments (3, n_params), steps
#: taken before (for bias correction), learning rate, row order, dropout seed, whether it still trains, and
#: ``out`` = (mean objective, mean |grad|, mean |step|, batches) written back.
Start = namedtuple("Start", ["theta", "running_mean", "running_var", "moments", "t0", "lr", "perm", "seed",
                             "active", "out"])

#: One start's minibatch buffers and its summed gradient.
Scratch = namedtuple("Scratch", ["x", "y", "w", "grad"])


def row(record, k):
    """Start k's record from a stacked one: field by field, ``field[k]``."""
    return type(record)(*(field[k] for field in record))


@overload(row, inline="always")
def _row(record, k):
    """``row`` in nopython mode, generated once per record type (a tuple's fields cannot be looped over)."""
    make = record.instance_class
    fields = ", ".join(f"record[{i}][k]" for i in range(len(record)))
    scope = {"make": make}
    exec(f"def impl(record, k):\n    return make({fields})", scope)  # noqa: S102  (code built from field counts)
    return scope["impl"]
