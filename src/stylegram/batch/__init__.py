"""Many images, video frames and image-set statistics on Dask's distributed scheduler.

    from stylegram.batch import stylize_batch
    report = stylize_batch(["photos/", "clip.mp4"], "sample:swirls", "out/", method="adain", workers=2)
    print(report.summary())

stylegram does not schedule work itself: a local cluster on 127.0.0.1 (or a running one, by address)
does. Needs the ``batch`` extra (dask[distributed], av).
"""

from .cluster import check_cluster, open_client
from .runner import Failure, Report, finished
from .statistics import backbone_spec, matrices_on_cluster
from .stylize import Item, plan, stylize_batch
from .video import Flicker, TemporalBlend, VideoWriter, flicker, synthetic_video

__all__ = [
    "Failure",
    "Flicker",
    "Item",
    "Report",
    "TemporalBlend",
    "VideoWriter",
    "backbone_spec",
    "check_cluster",
    "finished",
    "flicker",
    "matrices_on_cluster",
    "open_client",
    "plan",
    "stylize_batch",
    "synthetic_video",
]
