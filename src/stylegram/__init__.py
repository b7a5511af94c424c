"""stylegram: neural style transfer, texture synthesis and the tools to understand why they work.

    import stylegram
    result = stylegram.transfer("sample:chelsea", "sample:swirls", size=256)
    result.save("out.png")
"""

from .backbones import load_backbone
from .errors import StylegramError
from .features import extract
from .gatys import TransferOptions, transfer
from .gatys import prepare as prepare_transfer
from .stats import gram, mean_std, pearson

__version__ = "0.1.0"

__all__ = [
    "StylegramError",
    "TransferOptions",
    "extract",
    "gram",
    "load_backbone",
    "mean_std",
    "pearson",
    "prepare_transfer",
    "transfer",
]
