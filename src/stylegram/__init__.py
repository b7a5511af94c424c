"""stylegram: neural style transfer, texture synthesis and the tools to understand why they work.

    import stylegram
    result = stylegram.transfer("sample:chelsea", "sample:swirls", size=256)
    result.save("out.png")

The functions here are the front doors; the modules behind them: gatys (transfer), synthesis (texture),
deepdream (dream), feedforward (AdaIN/WCT), analysis (understanding), optimize (the one loop).
"""

import os

# NNPACK's Winograd convolutions (stylegram.winograd) run on threads of their own between torch's OpenMP regions,
# and OpenMP threads that spin while they wait take the cores from them: a VGG19 pass at 256x170 px took 0.63 s
# with spinning threads and 0.50 s with passive ones (float32's 0.58 s either way). OpenMP reads this when torch
# is first imported, so it only takes effect when stylegram is imported first (the CLI always is).
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
