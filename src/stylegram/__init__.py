"""stylegram: neural style transfer, texture synthesis and the tools to understand why they work.

    import stylegram
    result = stylegram.transfer("sample:chelsea", "sample:swirls", size=256)
    result.save("out.png")

The functions here are the front doors; the modules behind them: gatys (transfer), synthesis (texture),
deepdream (dream), feedforward (AdaIN/WCT), analysis (understanding), optimize (the one loop).
"""

import os


def _avx2_is_best() -> bool:
    """True on a (Linux) x86 CPU with AVX2 and without AVX-512: where --precision auto means winograd."""
    try:
        with open("/proc/cpuinfo") as info:
            flags = next((line.split() for line in info if line.startswith("flags")), [])
    except OSError:
        return False
    return "avx2" in flags and "avx512f" not in flags


# NNPACK's Winograd convolutions (stylegram.winograd) run on threads of their own between torch's OpenMP regions,
# and OpenMP threads that spin while they wait take the cores from them: a VGG19 pass at 256x170 px took 0.63 s
# with spinning threads and 0.50 s with passive ones (float32's 0.58 s either way). Everywhere else passive
# threads cost: on a CPU with AMX an iteration took 1.4x as long in bfloat16 and 1.16x in float32 (waking
# sleeping threads for every small operation of the loop). OpenMP reads this when torch is first imported, so it
# only takes effect when stylegram is imported first (the CLI always is).
if _avx2_is_best():
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from .backbones import load_backbone  # noqa: E402  (after the setting above)
from .deepdream import DreamOptions, dream
from .deepdream import prepare_dream
from .errors import StylegramError
from .features import extract
from .gatys import TransferOptions, transfer
from .gatys import prepare as prepare_transfer
from .stats import gram, mean_std, pearson
from .synthesis import TextureOptions, prepare_texture, texture

__version__ = "0.1.0"

__all__ = [
    "DreamOptions",
    "StylegramError",
    "TextureOptions",
    "TransferOptions",
    "dream",
    "extract",
    "gram",
    "load_backbone",
    "mean_std",
    "pearson",
    "prepare_dream",
    "prepare_texture",
    "prepare_transfer",
    "texture",
    "transfer",
]
