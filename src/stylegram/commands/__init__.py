"""Subcommands of the `stylegram` CLI, one module each (add_parser + run)."""

# Each command's one line in `stylegram --help`, in its order; the module of 'rank-layers' is rank_layers.py. Kept
# here, apart from the modules, so the list is shown without importing them (and torch).
SUMMARIES = {
    "layers": "list a backbone's layers with channels and stride",
    "samples": "list the sample images (sample:NAME) that every command takes",
    "transfer": "style transfer: the content of one image in the style of others",
    "sweep": "a transfer for each value of a few options, side by side on one sheet",
    "texture": "texture synthesis: a new image of the same material as the examples",
    "texture-sweep": "a texture for each value of a few options, side by side on one sheet",
    "explain": ("why a style transfer (or a texture) looks as it does: its Gram matrices, content maps and patches "
               "against its inputs"),
    "compare": ("several results of one transfer (or texture) measured side by side: style reached, content kept, "
               "pieces copied"),
    "features": "grid of feature maps: images in columns, channels in rows",
    "matches": "where each patch of a picture comes from in a style image (the mrf loss's pairing)",
    "grams": "per-image Gram/Pearson matrices, channels ordered by clusters of the set average",
    "rank-layers": "score every layer by how well its Gram matrices separate classes of images",
    "report": "one self-contained HTML page: inputs, feature maps, layer ranking, confusion, channel clusters",
    "batch": "stylize many images, folders and videos on a local or remote Dask cluster",
    "serve": "a local web page: upload images (or a video), watch the picture form, download it",
    "dream": "deep dream: the image a channel, a cluster of channels or a layer responds to most",
}
