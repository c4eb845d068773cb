"""Numba kernels: arrays and scalars in, results written into buffers the caller gives."""

import warnings

from numba.core.errors import NumbaExperimentalFeatureWarning

# literal_unroll over the tables (activations, losses, update rules) specialises one loop per row at compile
# time; numba flags that as experimental. The gradient tests cover every row.
warnings.filterwarnings("ignore", category=NumbaExperimentalFeatureWarning)
