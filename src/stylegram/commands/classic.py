"""The options of the classic style-transfer tools (jcjohnson/neural-style, the PyTorch tutorial, anishathalye's
neural-style, crowsonkb's style-transfer-pytorch), and what stylegram calls each: the closest spelling pointed
--step-size at --size, --gpu at --output and --model_file at --detail."""

from __future__ import annotations

import difflib
import re

CPU_ONLY = ("stylegram runs on the CPU, in bfloat16 where the CPU has it ('stylegram --version' says which), and has "
            "no GPU or device option: drop it")
TERMS = "its loss terms are relative errors, each about 1 at the start"

IMAGE_OPTIONS = ("style-image", "style-images", "content-image", "content")  # the classic tools' flags for images
# batch, whose styles are an option: what it says of them instead of transfer's 'images are given without a flag'
BATCH_IMAGES = ("the style images are --style S [S ...], and the pictures to stylize are given without a flag: "
                "stylegram batch INPUT [INPUT ...] --style S -o OUT_DIR")

# a classic option's name (lowercase, hyphens) -> (the flag it points to, or None; what to say)
CLASSIC: dict[str, tuple[str | None, str]] = {
    **{name: ("--output", "the output file is -o OUT.png") for name in ("output-image", "output-file", "out")},
    **{name: (None, "images are given without a flag: stylegram transfer CONTENT STYLE [STYLE ...] -o OUT.png")
       for name in IMAGE_OPTIONS},
    **{name: ("--size", "the output's long side is --size N") for name in ("image-size", "max-size", "end-scale",
                                                                           "width", "image-width")},
    **{name: ("--style-blend", "each style's weight is --style-blend W1,W2, in the order of the styles")
       for name in ("style-blend-weights", "style-weights", "style-blend-weight")},
    **{name: ("--colors", "--colors original (or luminance, match) keeps the content's colours")
       for name in ("original-colors", "original-colours", "preserve-colors", "preserve-colours")},
    **{name: ("--init", "--init IMAGE starts from that picture") for name in ("init-image", "initial")},
    **{name: ("--iterations", "the iterations are --iterations N, or N1,N2 per scale")
       for name in ("num-iterations", "num-iters", "max-iter", "max-iterations", "niter", "steps", "num-steps")},
    **{name: ("--lr", "the step size is --lr, for pixels in 0..1: a classic tool's Adam learning rate of 10, for "
                      "0..255, is 0.04 here (Adam's default 0.02; L-BFGS's 1 in both)")
       for name in ("learning-rate", "step-size")},
    **{name: ("--save-every", "--save-every N writes the picture every N iterations, into --save-dir")
       for name in ("save-iter", "checkpoint-iterations", "checkpoint-output", "save-every-n")},
    **{name: ("--log", "the progress bar shows the losses (on a terminal each iteration, in a file a line every "
                       "10 s), and --log CSV keeps every iteration's")
       for name in ("print-iter", "print-iterations", "print-every")},
    **{name: ("--weights", "a network's weights file is --weights FILE, and --backbone picks the network")
       for name in ("model-file", "network", "proto-file", "vgg-path", "model", "vgg")},
    **{name: ("--optimizer", "the optimizer is --optimizer lbfgs (the default) or --optimizer adam")
       for name in ("lbfgs", "adam", "use-lbfgs", "use-adam")},
    **{name: ("--history", "L-BFGS's memory is --history N") for name in ("lbfgs-num-correction", "num-correction")},
    "style-layer-weight-exp": ("--style-layers", "each style layer's weight is given in --style-layers, e.g. "
                               "relu1_1:1,relu2_1:0.5,relu3_1:0.25"),
    **{name: (None, f"stylegram has none: {TERMS}, so their gradients need no normalizing")
       for name in ("normalize-gradients", "normalize-weights")},
    **{name: ("--init", "the start is --init noise or --init content; there is no blend of the two")
       for name in ("noise", "noise-ratio", "init-noise")},
    **{name: ("--style-scale", "the strokes' size follows the style image's, --style-scale S times the output's: "
                               "below 1 finer, above 1 coarser")
       for name in ("brush-size", "stroke-size", "brush", "stroke-scale", "brush-scale", "pattern-size")},
    **{name: ("--alpha", "the style's strength is --style-weight for --method gatys, --alpha (0 to 1) for adain and wct")
       for name in ("strength", "style-strength", "stylization-strength")},
    # crowsonkb's style-transfer-pytorch: the closest spelling pointed --avg-decay at --decay (the spectrum's) and
    # --proof at --pooling, and --initial-iterations at --iterations as if one number would do
    **{name: ("--style-scale", "the style's size is --style-scale, a ratio to the output's size (0.5 to 2 are "
                               "typical), not pixels") for name in ("style-size", "style-scales")},
    "initial-iterations": ("--iterations", "the coarsest scale's iterations are the first count of --iterations "
                           "FIRST,REST (e.g. --iterations 300,90); one number sets every scale"),
    "avg-decay": (None, "stylegram writes the last iterate, not an average of them (L-BFGS, the default, settles "
                  "without one): there is no such option"),
    "proof": ("--save-every", "--save-every N writes the picture every N iterations, into --save-dir"),
    **{name: (None, "the browser page is a command of its own: stylegram serve") for name in ("web", "host", "port",
                                                                                            "browser")},
    **{name: (None, CPU_ONLY) for name in ("gpu", "gpus", "device", "devices", "cuda", "use-cuda", "backend",
                                            "cudnn-autotune", "multidevice-strategy")},
}


def classic_hint(word: str, flags: list[str]) -> str:
    """What stylegram calls a classic tool's option ``word`` ('--style_blend_weights', '-gpu'), where this command
    (its long ``flags``) has it; '' for a word no classic tool used."""
    name = word.lstrip("-").split("=")[0].lower().replace("_", "-")
    own = difflib.get_close_matches(name, [f.lstrip("-") for f in flags], n=1, cutoff=0.85)  # --styles-weight: ours
    close = [] if own else difflib.get_close_matches(name, CLASSIC, n=1, cutoff=0.85)  # --strenght: of --strength
    key = name if name in CLASSIC else close[0] if close else ""
    if key in IMAGE_OPTIONS and "--style" in flags:  # batch
        return BATCH_IMAGES
    flag, said = CLASSIC.get(key, (None, ""))
    return "" if flag is not None and flag not in flags else said


SINGLE_DASH = re.compile(r"-[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)+|-[A-Za-z]{3,}")


def single_dash(argv: list[str], flags: list[str]) -> str:
    """A message for the first word written with one dash and a long name (jcjohnson's -output_image, -gpu), which
    argparse reads as -o with the value 'utput_image'; '' when there is none. ``flags``: the command's long ones."""
    for word in argv:
        if SINGLE_DASH.fullmatch(word):
            meant = "--" + word[1:].lower().replace("_", "-")
            said = classic_hint(word, flags) or (f"did you mean {meant}?" if meant in flags else "")
            if said and meant not in flags:  # -gpu: what stylegram does instead, not how -style_weight is written
                return f"{word}: {said}"
            example = (meant, word) if meant in flags else ("--style-weight", "-style_weight")  # the word's own
            return (f"{word}: stylegram's options are written with two dashes and hyphens ({example[0]}, not "
                    f"{example[1]}){'; ' + said if said else ''}")
    return ""
