"""stylegram: neural style transfer, texture synthesis and the tools to understand why they work.

    import stylegram
    result = stylegram.transfer("sample:chelsea", "sample:swirls", size=256)
    result.save("out.png")

The functions here are the front doors; the modules behind them: gatys (transfer), synthesis (texture),
deepdream (dream), feedforward (AdaIN/WCT), analysis (understanding), optimize (the one loop).
"""

__version__ = "0.1.0"  # first: modules imported below read it

from . import runtime

# Process settings (stylegram.runtime). OpenMP reads its wait policy when torch is first imported, so that one only
# takes effect when stylegram is imported before torch (the CLI always is); malloc's thresholds hold from here on.
runtime.set_openmp_wait_policy()
runtime.keep_freed_memory()

from .backbones import load_backbone  # noqa: E402  (after the setting above)
from .deepdream import DreamOptions, dream
from .deepdream import prepare_dream
from .analysis.compare import compare, compare_textures
from .analysis.explain import explain, explain_texture
from .errors import StylegramError
from .features import extract
from .gatys import TransferOptions, transfer
from .gatys import prepare as prepare_transfer
from .stats import gram, masked_gram, mean_std, pearson
from .synthesis import TextureOptions, prepare_texture, texture
from .sweeps import sweep
from .tiles import transfer_tiled


__all__ = [
    "DreamOptions",
    "StylegramError",
    "TextureOptions",
    "TransferOptions",
    "compare",
    "compare_textures",
    "dream",
    "explain",
    "explain_texture",
    "extract",
    "gram",
    "load_backbone",
    "masked_gram",
    "mean_std",
    "pearson",
    "prepare_dream",
    "prepare_texture",
    "prepare_transfer",
    "sweep",
    "texture",
    "transfer",
    "transfer_tiled",
]
