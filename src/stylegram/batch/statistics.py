"""Per-image matrices of large image sets on a Dask cluster: the set is cut into chunks, one task each."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ..backbones import build_options
from ..bars import bar
from ..errors import OptionError
from . import tasks
from .runner import finished, one_line, window_for

CHUNK_BATCHES = 2  # forward-pass batches per task: big enough to amortize shipping, small to balance workers


def backbone_spec(name: str, weights: str = "default", padding: str | None = None, pooling: str = "max") -> tuple:
    """What a worker needs to build a backbone as load_backbone would: (name, weights, ((option, value), ...)).

    Options follow the CLI's --backbone/--weights/--padding/--pooling (pooling applies to VGG only).
    """
    return name, str(weights), tuple(sorted(build_options(name, padding, pooling).items()))


def matrices_on_cluster(
    client,
    images: Sequence[torch.Tensor],
    layers: Sequence[str],
    spec: tuple,
    kind: str = "gram",
    *,
    batch_size: int = 8,
    quiet: bool = True,
) -> dict[str, torch.Tensor]:
    """The same {layer: per-image matrices} as analysis.matrices.compute, computed chunk by chunk on workers.

    ``spec`` names the backbone (see backbone_spec); each worker builds it once. Rows keep the images' order.
    """
    if not images:
        raise OptionError("no images to analyse")
    size = CHUNK_BATCHES * batch_size
    starts = range(0, len(images), size)
    payloads = ((list(images[s : s + size]), list(layers), spec, kind, batch_size) for s in starts)
    parts: dict[int, dict[str, torch.Tensor]] = {}
    with bar(len(images), "image", quiet) as progress:
        for k, future in finished(client, tasks.matrix_chunk, payloads, window_for(client)):
            try:
                parts[k], _, _ = future.result()
            except Exception as err:
                raise OptionError(f"computing the matrices of images {starts[k] + 1}-"
                                  f"{min(starts[k] + size, len(images))} failed: {one_line(err)}") from None
            progress.update(len(next(iter(parts[k].values()))))
    return {layer: torch.cat([parts[k][layer] for k in range(len(starts))]) for layer in layers}
