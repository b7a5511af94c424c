"""Settings of the process that stylegram makes when it is imported, before torch is: they only work from there.

- OpenMP's wait policy. NNPACK's Winograd convolutions (stylegram.winograd) run on threads of their own between
  torch's OpenMP regions, and OpenMP threads that spin while they wait take the cores from them: a VGG19 pass at
  256x170 px took 0.63 s with spinning threads and 0.50 s with passive ones (float32's 0.58 s either way).
  Everywhere else passive threads cost: on a CPU with AMX an iteration took 1.4x as long in bfloat16 and 1.16x
  in float32 (sleeping threads woken for every small operation of the loop). So passive only where
  ``--precision auto`` means winograd. OpenMP reads it when torch is first imported.
- glibc's malloc thresholds. A transfer iteration allocates and frees every feature map. glibc hands blocks above
  a threshold that it adapts as they come and go straight to the system, and gives back freed memory at the top
  of its heap beyond another; the pages of such memory are faulted in and zeroed again on next use: 3,100 page
  faults an iteration at 256 px, up to 19,900 at 512 px (it varies from run to run). Serving blocks up to 32 MiB
  (glibc's largest threshold) from the heap and keeping up to 256 MiB of freed memory there: 60-280 and 400-820,
  and a 512 px bfloat16 iteration 0.29 s instead of 0.31-0.35 s on a CPU with AMX (BENCHMARKS.md). Left alone where MALLOC_MMAP_THRESHOLD_ or MALLOC_TRIM_THRESHOLD_ is set, and where the C
  library has no mallopt (macOS, Windows) or ignores it (musl).
"""

from __future__ import annotations

import ctypes
import functools
import os

MMAP_THRESHOLD = 32 << 20  # bytes: glibc's largest on 64-bit systems
TRIM_THRESHOLD = 256 << 20  # bytes of freed memory kept at the top of the heap
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameters (malloc.h)


@functools.lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags as Linux lists them in /proc/cpuinfo ("avx2", "amx_bf16", ...); empty elsewhere."""
    try:
        with open("/proc/cpuinfo") as info:
            return frozenset(next((line.split(":", 1)[-1].split() for line in info if line.startswith("flags")), []))
    except OSError:
        return frozenset()


def avx2_is_best() -> bool:
    """True on an x86 CPU with AVX2 and without AVX-512: where --precision auto means winograd."""
    return "avx2" in cpu_flags() and "avx512f" not in cpu_flags()


def set_openmp_wait_policy() -> None:
    """OMP_WAIT_POLICY=PASSIVE where NNPACK needs it, unless the variable is set; before torch is imported."""
    if avx2_is_best():
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def keep_freed_memory() -> bool:
    """Tune glibc's malloc to reuse freed feature maps instead of returning them; True if it took the settings."""
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or "MALLOC_TRIM_THRESHOLD_" in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError, TypeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
