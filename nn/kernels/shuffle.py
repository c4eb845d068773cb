"""The order of the rows in an epoch: a Fisher-Yates shuffle driven by a SplitMix64 stream seeded by (seed,
epoch). numpy's Generator.permutation costs about 9 ns a row (its bounded draws reject and branch), a tenth
of a small network's epoch, and cannot be called from a kernel; this one costs under 2 ns a row and is a pure
function of (seed, epoch, number of rows)."""

import numpy as np

from astromlp.nn.kernels.jit import kernel
from astromlp.nn.kernels.splitmix import GOLDEN, mix

_LOW32 = np.uint64(0xFFFFFFFF)


@kernel(inline="always")
def _below(state, bound):
    """A uniform integer in [0, bound) and the advanced state; unbiased (Lemire 2019 for bounds below 2^32,
    rejection then modulo above)."""
    b = np.uint64(bound)
    if b <= _LOW32:
        state += GOLDEN
        m = (mix(state) >> np.uint64(32)) * b
        if (m & _LOW32) < b:  # rarely: only then is the exact rejection threshold worth a division
            threshold = np.uint64(0x100000000) % b
            while (m & _LOW32) < threshold:
                state += GOLDEN
                m = (mix(state) >> np.uint64(32)) * b
        return np.int64(m >> np.uint64(32)), state
    threshold = (np.uint64(0) - b) % b
    while True:
        state += GOLDEN
        r = mix(state)
        if r >= threshold:
            return np.int64(r % b), state


@kernel()
def permute(perm, seed, epoch):
    """perm = a uniformly random permutation of 0 .. perm.size - 1, the same for the same (seed, epoch)."""
    for i in range(perm.size):
        perm[i] = i
    state = mix(np.uint64(seed) * GOLDEN + mix(np.uint64(epoch) + GOLDEN))
    for i in range(perm.size - 1, 0, -1):
        j, state = _below(state, i + 1)
        perm[i], perm[j] = perm[j], perm[i]
