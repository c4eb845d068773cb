"""SplitMix64 (Steele, Lea & Flood 2014): the hash behind dropout masks and the epoch shuffle, chosen because
a value depends only on its coordinates (seed, step, ...), never on which thread draws it."""

import numpy as np

from astromlp.nn.kernels.jit import kernel

#: SplitMix64's increment, 2^64 / golden ratio.
GOLDEN = np.uint64(0x9E3779B97F4A7C15)


@kernel(inline="always")
def mix(z):
    """SplitMix64's output function: a bijection of 64-bit words that spreads every input bit."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))
