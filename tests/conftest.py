"""Shared fixtures: the embedded VGG19 is loaded once per test session; a job stopped at an iteration."""

from __future__ import annotations

import pytest
import stylegram  # noqa: F401  (before torch: it sets OpenMP's wait policy, see stylegram/__init__.py)
import torch


@pytest.fixture(scope="session")
def vgg():
    """The default backbone: embedded normalised VGG19, reflect padding, max pooling."""
    from stylegram.features import default_backbone

    return default_backbone()


@pytest.fixture(scope="session")
def chelsea() -> torch.Tensor:
    """skimage's cat photo, 300x451, as a (1, 3, H, W) tensor in [0, 1]."""
    from skimage import data

    return torch.from_numpy(data.chelsea()).permute(2, 0, 1).unsqueeze(0).float() / 255


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.fixture
def checkpoint_at(tmp_path):
    """A function that runs a job up to an iteration and writes its checkpoint (tmp_path / name), as a run stopped
    there would; it returns the checkpoint's path."""

    def stop(job, iteration: int, name: str = "run.ckpt"):
        for progress in job:
            if progress.iteration == iteration:
                break
        job.checkpoint(tmp_path / name)
        return tmp_path / name

    return stop
