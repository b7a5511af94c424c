"""A cluster file of `stylegram grams` (analysis.cluster's Clustering.save writes it) as dream --cluster and
features --clusters read it: its layer, its clusters of channels, and the network and settings they were found with,
each checked with a message that says what is wrong and how to make a good one."""

from __future__ import annotations

import json
import os
import types
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import OptionError, count, missing_channels, warn

if TYPE_CHECKING:
    from ..backbones import Backbone


def read_cluster(path: str | os.PathLike, k: int, backbone: Backbone | None = None) -> tuple[str, list[int]]:
    """(layer, channels) of cluster ``k`` of a cluster file written by `stylegram grams` (OUTPUT.json).

    With ``backbone``: refuse a file whose channels are another network's (its settings name the network).
    """
    layer_name, found = read_clusters(path, backbone, [k])
    return layer_name, found[k]


def read_clusters(path: str | os.PathLike, backbone: Backbone | None = None, wanted: Sequence[int] | None = None
                  ) -> tuple[str, dict[int, list[int]]]:
    """(layer, {cluster id: channels}) of a cluster file written by `stylegram grams`: every cluster, or those
    ``wanted`` in that order (one that does not exist is refused); ``backbone`` as in read_cluster."""
    record = ClusterFile.read(path)
    if backbone is not None:
        record.check_network(backbone)
    return record.layer, record.picked(wanted)


@dataclass
class ClusterFile:
    """A cluster file of `stylegram grams` as read: its layer, its clusters {id: channels} and the settings they were
    found with (backbone, weights, grey, pooling, padding; those of older files missing)."""

    path: str | os.PathLike
    layer: str
    clusters: dict[int, list[int]]
    settings: dict

    @classmethod
    def read(cls, path: str | os.PathLike) -> "ClusterFile":
        """The file at ``path``, or an OptionError that says what is wrong with it and how to make one."""
        make = "make one with 'stylegram grams IMAGES --layer L -o grams.png'"
        try:
            record = json.loads(Path(path).read_text())
            found = {int(c["id"]): _channel_numbers(path, c["id"], c["channels"]) for c in record["clusters"]}
            return cls(path, str(record["layer"]), found, dict(record.get("settings", {})))
        except OptionError:
            raise
        except FileNotFoundError:
            raise OptionError(f"cluster file {path} does not exist; {make}") from None
        except ValueError as err:
            raise OptionError(f"{path} is not a cluster file of 'stylegram grams': not JSON ({err}); {make}") from None
        except (KeyError, TypeError, AttributeError):
            raise OptionError(f"{path} is not a cluster file of 'stylegram grams': it needs a \"layer\" and \"clusters\" "
                              f"of {{\"id\", \"channels\"}}; {make}") from None
        except OSError as err:
            raise OptionError(f"cannot read cluster file {path} ({err.strerror or err})") from None

    def picked(self, wanted: Sequence[int] | None = None) -> dict[int, list[int]]:
        """Every cluster, or those ``wanted`` in that order; one that does not exist is refused."""
        missing = [k for k in wanted or [] if k not in self.clusters]
        if missing:
            ids = f" ({', '.join(map(str, sorted(self.clusters)))})" if self.clusters else ""
            raise OptionError(f"cluster {missing[0]} does not exist: {self.path} has "
                              f"{count(len(self.clusters), 'cluster')}{ids}")
        return {k: self.clusters[k] for k in wanted} if wanted else dict(self.clusters)

    def check_channels(self, picked: dict[int, list[int]], available: int) -> None:
        """Refuse a cluster of ``picked`` with no channels, or with one the layer (of ``available`` channels) lacks:
        an edited file, or one from another layer, drew an empty row or failed with an IndexError in features."""
        for k, channels in picked.items():
            if not channels:
                raise OptionError(f"cluster {k} of {self.path} has no channels; pick another cluster of that file")
            bad = [c for c in channels if c >= available]
            if bad:
                raise OptionError(f"cluster {k} of {self.path}: {missing_channels(bad, self.layer, available)}; was "
                                  "the file edited, or made for another layer?")

    def warn_mismatch(self, grey: bool, network: Backbone, ours: str = "these are read in") -> None:
        """Say where the clusters were found on grey images and this run is in colour (or the reverse), or with
        another pooling or padding of the network: the channels that fire together are then not the same, and the
        run went on without a word. ``ours``: what is in colour or grey ('this dream is in')."""
        made = self.settings
        if made.get("grey") is not None and bool(made["grey"]) != grey:
            found, fix = ("grey", "add --grey") if made["grey"] else ("colour", "drop --grey")
            warn(f"{self.path}'s clusters were found on {found} images and {ours} {'grey' if grey else 'colour'}; "
                 f"{fix} to see them as the clusters were found")
        for name in ("pooling", "padding"):
            found, now = made.get(name), getattr(network, name, None)
            if found is not None and now is not None and found != now:
                warn(f"{self.path}'s clusters were found with {name} {found} and this network has {name} {now}; "
                     f"give --{name} {found} to see them as the clusters were found")

    def check_network(self, backbone: Backbone | types.SimpleNamespace) -> None:
        """Refuse ``backbone`` (or named_network's stand-in) where the file's channels are another network's: its
        channel numbers mean something only in the network (and weights) that made them."""
        if "backbone" not in self.settings:
            return
        name, weights = str(self.settings["backbone"]), str(self.settings.get("weights", "?"))
        ours = getattr(backbone, "weights_source", "?")
        named = all(w != "?" and not any(c in w for c in "/\\.") for w in (weights, ours))  # not a file's path
        if name != backbone.name or (named and weights != ours):
            theirs, fix = (f"{name} with {weights} weights", f"--backbone {name} --weights {weights}") \
                if weights != "?" else (f"{name} (weights not recorded)",
                                        f"--backbone {name} and the weights that file was made with")
            raise OptionError(f"{self.path} clusters the channels of {theirs}, and this run uses {backbone.name} with "
                              f"{ours}; add {fix}")


def _channel_numbers(path: str | os.PathLike, k: object, listed: object) -> list[int]:
    """A cluster's channels as a file lists them, refusing what is not a channel number (3.7, true, "3", -3 were
    read as 3, 1, 3 and the 509th channel)."""
    if not isinstance(listed, list):
        raise TypeError(listed)  # said by ClusterFile.read: not a cluster file
    wrong = [v for v in listed if isinstance(v, bool) or not isinstance(v, int) or v < 0]
    if wrong:
        raise OptionError(f"cluster {k} of {path} lists {json.dumps(wrong[0])}, which is not a channel number (0, 1, "
                          "2, ...); was the file edited? make it again with 'stylegram grams'")
    return listed


def named_network(backbone: str, weights: str) -> types.SimpleNamespace:
    """A network as options name it, which a cluster file's is checked against before the network is loaded."""
    return types.SimpleNamespace(name=backbone, weights_source=str(weights))
