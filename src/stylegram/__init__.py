"""stylegram: neural style transfer, texture synthesis and the tools to understand why they work.

    import stylegram
    result = stylegram.transfer("sample:chelsea", "sample:swirls", size=256)
    result.save("out.png")

The functions here are the front doors; the modules behind them: gatys (transfer), synthesis (texture),
deepdream (dream), feedforward (AdaIN/WCT), analysis (understanding), optimize (the one loop).
"""

__version__ = "0.1.0"  # first: modules imported below read it

import importlib

from . import runtime

# Process settings (stylegram.runtime). OpenMP reads its wait policy when torch is first imported, so that one only
# takes effect when stylegram is imported before torch (the CLI always is); malloc's thresholds hold from here on.
runtime.set_openmp_wait_policy()
runtime.keep_freed_memory()

# The front doors, imported when first used, so that `import stylegram` (and the command line before it has parsed
# its arguments, or a Ctrl-C then) does not wait for torch: {name: (module, attribute)}.
_FRONT_DOORS = {
    "load_backbone": (".backbones", "load_backbone"),
    "DreamOptions": (".deepdream", "DreamOptions"), "dream": (".deepdream", "dream"),
    "prepare_dream": (".deepdream", "prepare_dream"), "resume_dream": (".deepdream", "resume_dream"),
    "compare": (".analysis.compare", "compare"), "compare_textures": (".analysis.compare", "compare_textures"),
    "explain": (".analysis.explain", "explain"), "explain_texture": (".analysis.explain", "explain_texture"),
    "StylegramError": (".errors", "StylegramError"), "Interrupted": (".job", "Interrupted"),
    "extract": (".features", "extract"),
    "TransferOptions": (".gatys", "TransferOptions"), "transfer": (".gatys", "transfer"),
    "prepare_transfer": (".gatys", "prepare"), "resume_transfer": (".gatys", "resume"),
    "gram": (".stats", "gram"), "masked_gram": (".stats", "masked_gram"), "mean_std": (".stats", "mean_std"),
    "pearson": (".stats", "pearson"),
    "TextureOptions": (".synthesis", "TextureOptions"), "prepare_texture": (".synthesis", "prepare_texture"),
    "resume_texture": (".synthesis", "resume_texture"),
    "texture": (".synthesis", "texture"),
    "sweep": (".sweeps", "sweep"),
    "transfer_tiled": (".tiles", "transfer_tiled"),
}


def __getattr__(name: str):
    """A front door (imported now, then kept), or a submodule such as stylegram.precision."""
    if name in _FRONT_DOORS:
        module, attribute = _FRONT_DOORS[name]
        value = getattr(importlib.import_module(module, __name__), attribute)
        globals()[name] = value
        return value
    try:
        return importlib.import_module(f".{name}", __name__)
    except ModuleNotFoundError as err:
        if err.name != f"{__name__}.{name}":
            raise
        raise AttributeError(f"module 'stylegram' has no attribute '{name}'") from None


def __dir__() -> list[str]:
    """The front doors and the version (not the modules this one imports for itself: importlib, runtime)."""
    return sorted({*__all__, *_FRONT_DOORS, "__version__"})


__all__ = [
    "DreamOptions",
    "Interrupted",
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
    "resume_dream",
    "resume_texture",
    "resume_transfer",
    "sweep",
    "texture",
    "transfer",
    "transfer_tiled",
]
