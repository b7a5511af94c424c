"""The understanding report's deep dreams (stylegram report --dream): one dream per shown channel, and a section with
one dream per channel cluster, of its activation or of its correlation."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..backbones import Backbone
from ..deepdream import DreamOptions, channel, channels, cluster_correlation, dream, dreams, pre_relu_tap
from ..errors import check_choice


CLUSTER_OBJECTIVES = ("activation", "correlation", "both")  # what a report dreams of each cluster


def study_dreams(study, model: Backbone, progress: Callable[[str], None] | None = None, objective: str = "activation",
                 **options):
    """Deep dreams for the understanding report (stylegram.analysis.report) of a Study.

    Returns (one dream per shown channel, for the feature-map figure's last column; report Sections with one dream
    per channel cluster: of its activation, its correlation, or one section of each for ``objective`` "both").
    ``options`` as in DreamOptions (default size 128).
    """
    check_choice("--dream-objective", objective, CLUSTER_OBJECTIVES)
    say = progress or (lambda _message: None)
    options = {"size": 128, **options}
    name, clusters = study.layer, study.clustering.clusters()
    kinds = ["activation", "correlation"] if objective == "both" else [objective]
    say(f"dreaming {len(study.channels)} channels and {len(clusters)} clusters of {name}"
        + ("" if kinds == ["activation"] else f" ({' and '.join(kinds)})"))
    channel_images = dreams([channel(name, c) for c in study.channels], model, **options)
    return channel_images, [_cluster_section(kind, name, clusters, model, say, options) for kind in kinds]


def _cluster_paragraph(correlated: bool, name: str, model: Backbone, options: dict, single: int) -> str:
    """What a report's cluster dreams are: how they were made and what to look for."""
    tap = pre_relu_tap(model, name) if options.get("pre_relu", True) else name
    where = f"{name} (evaluated before its ReLU, at {tap})" if tap != name else name
    ascent = (f"starting from grey noise, the image is changed step by step (gradient ascent over "
              f"{options.get('octaves', DreamOptions.octaves)} octaves, with random jitter, scale and rotation)")
    if not correlated:
        return (f"Deep dream of every cluster: {ascent} to raise the mean activation of the cluster's channels at "
                f"{where}. Channels that fire together on your images turn out to prefer one kind of pattern; "
                "compare the dreams with the images in which each cluster's block lights up.")
    left_out = (f" {single} one-channel cluster{'s have' if single > 1 else ' has'} no correlation and "
                f"{'are' if single > 1 else 'is'} left out." if single else "")
    return (f"Deep dream of every cluster's correlation: {ascent} to raise the mean pairwise correlation of the "
            f"cluster's channels' maps at {where}, instead of their activation. A correlation rises when the channels "
            "switch on together in some places and off together in others, and it is blind to how strongly they "
            "fire: expect the cluster's pattern in patches on a plain ground, not everywhere. It is what the "
            f"cluster's block of a correlation matrix measures.{left_out}")


def _cluster_section(kind: str, name: str, clusters: Sequence[Sequence[int]], model: Backbone,
                     say: Callable[[str], None], options: dict):
    """One report Section: a dream of each cluster's activation or correlation (a one-channel cluster has none)."""
    from . import plots
    from .report import Section

    correlated = kind == "correlation"
    picked = [(k, cs) for k, cs in enumerate(clusters) if len(cs) > 1 or not correlated]
    images = []
    for i, (k, cs) in enumerate(picked):
        say(f"  cluster {i + 1}/{len(picked)}" + (", correlation" if correlated else ""))
        goal = cluster_correlation(name, cs, f"cluster {k}") if correlated else channels(name, cs, f"cluster {k}")
        images.append(dream(goal, model=model, **options).image)
    single = len(clusters) - len(picked)
    title = f"What each channel cluster of {name} {'correlates on' if correlated else 'prefers'}"
    text = _cluster_paragraph(correlated, name, model, options, single)
    labels = [f"cluster {k} ({len(cs)} channels)" for k, cs in picked]
    figure = plots.images_grid(images, labels, f"One dream per cluster of {name}"
                               + (", of its correlation" if correlated else ""), columns=6) if images else None
    return Section(title, text, plots.to_webp(figure) if figure is not None else None)
