"""Process settings made on import (stylegram.runtime): OpenMP's wait policy and glibc's malloc thresholds."""

import os
import platform
import subprocess
import sys

import pytest
import torch

from stylegram import runtime


def run_python(code: str, **env: str) -> str:
    """stdout of a fresh interpreter running ``code``, with OMP_WAIT_POLICY and MALLOC_* unset unless given."""
    clean = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY" and not k.startswith("MALLOC_")}
    out = subprocess.run([sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True, check=True)
    return out.stdout.strip()


@pytest.mark.parametrize("preset", [None, "ACTIVE"])
def test_importing_stylegram_makes_openmp_threads_wait_passively_only_for_winograd(preset):
    code = "import os, stylegram; print(os.environ.get('OMP_WAIT_POLICY', 'unset'))"
    out = run_python(code, **({"OMP_WAIT_POLICY": preset} if preset else {}))
    avx2_best = torch.backends.cpu.get_cpu_capability() == "AVX2"
    assert out == (preset or ("PASSIVE" if avx2_best else "unset"))


# Forward+backward passes of a small convolution stack whose maps (6 MB) are freed and allocated anew each time;
# prints the page faults per pass after warming up.
FAULTS = """
import resource, sys
{imports}
from torch import nn
chans = [3, 64, 64, 128, 128]
net = nn.Sequential(*[m for a, b in zip(chans, chans[1:]) for m in (nn.Conv2d(a, b, 3, padding=1), nn.ReLU())])
net.requires_grad_(False)
x = torch.rand(1, 3, 96, 128, requires_grad=True)
for _ in range(2):
    net(x).sum().backward()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(3):
    net(x).sum().backward()
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 3)
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc thresholds are glibc's")
def test_importing_stylegram_lets_freed_feature_maps_be_reused():
    plain = float(run_python(FAULTS.format(imports="import torch")))
    # the fewest of three: one CI run under load counted 1,024 a pass once (0.0-0.3 in every run before and after)
    tuned = min(float(run_python(FAULTS.format(imports="import stylegram, torch"))) for _ in range(3))
    assert plain > 5000  # glibc's defaults fault the maps' pages in again at every pass
    assert tuned < plain / 10


def test_malloc_settings_of_the_user_are_left_alone(monkeypatch):
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "131072")
    assert runtime.keep_freed_memory() is False
