"""Dirigent: a real-time companion for techno producers."""

import os

# One BLAS thread, unless the user says otherwise: OpenBLAS's idle threads spin, and beside the
# daemon's own threads (and Live) they burned about a core-millisecond per search for matrix
# products this small. Read when numpy loads, so it must come before numpy's import.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"
