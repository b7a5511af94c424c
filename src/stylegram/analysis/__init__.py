"""Understanding style: feature maps, per-image Gram/Pearson matrices of image sets, channel clusters,
how well each layer tells image classes apart, and an HTML report that walks through it all.

One idea per module: ``inputs`` (image sets and classes), ``matrices`` (per-image matrices of many layers
in one forward pass), ``featuremaps`` (channels to show), ``cluster`` (channel clusters and their order),
``cluster_file`` (the file of them that dream and features read),
``rank`` (contrast score, leave-one-out nearest-centroid accuracy), ``plots`` (matplotlib figures) and
``report`` (the self-contained HTML page), with ``report_dreams`` (its deep dreams). Nothing here is imported by
``import stylegram``.
"""
