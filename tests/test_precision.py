"""Network precision: bfloat16 and Winograd passes chosen by CPU, close to float32, and losses stay float32."""

import pytest
import torch

from stylegram import precision, stats, winograd
from stylegram.errors import OptionError
from stylegram.gatys import prepare
from stylegram.samples import path
from stylegram.images import load_tensor


def test_unknown_precision_is_named():
    with pytest.raises(OptionError, match="precision='half' is not one of auto, float32, bfloat16, winograd"):
        precision.resolve("half")


def test_auto_follows_the_cpu():
    expected = "bfloat16" if precision.native_bfloat16() else "winograd" if winograd.worthwhile() else "float32"
    assert precision.resolve("auto") == expected
    assert precision.resolve("float32") == "float32"


def test_winograd_without_nnpack_is_refused(monkeypatch):
    monkeypatch.setattr(winograd, "available", lambda: False)
    with pytest.raises(OptionError, match="precision 'winograd' needs NNPACK.*use float32"):
        precision.resolve("winograd")


def test_network_pass_runs_convolutions_in_bfloat16(vgg):
    x = torch.rand(1, 3, 40, 40)
    with precision.network_pass("bfloat16"):
        low = vgg.extract(x, ["relu2_1"])["relu2_1"]
    with precision.network_pass("float32"):
        high = vgg.extract(x, ["relu2_1"])["relu2_1"]
    assert low.dtype == torch.bfloat16 and high.dtype == torch.float32
    assert (low.float() - high).norm() / high.norm() < 0.02


def test_bfloat16_gives_nearly_the_float32_loss_and_gradient(vgg):
    content = load_tensor(path("chelsea"), size=64)
    style = load_tensor(path("swirls"), size=64)
    x = (content + 0.1 * torch.randn_like(content)).clamp(0, 1)
    results = {}
    for name in ("float32", "bfloat16"):
        job = prepare(content, style, model=vgg, size=64, min_size=64, precision=name)
        objective = job.problem.terms_at(job.problem.sizes()[-1])
        image = x.clone().requires_grad_(True)
        terms = objective(image)
        assert all(v.dtype == torch.float32 for v in terms.values())
        loss = sum(terms.values())
        loss.backward()
        results[name] = (float(loss.detach()), image.grad.flatten())
    (l32, g32), (l16, g16) = results["float32"], results["bfloat16"]
    assert abs(l16 - l32) / l32 < 0.03
    assert torch.nn.functional.cosine_similarity(g16, g32, dim=0) > 0.95


def test_gram_of_bfloat16_features_is_close_and_its_backward_is_bfloat16():
    f = torch.rand(1, 16, 20, 20)
    low = f.bfloat16().requires_grad_(True)
    g = stats.gram(low)
    assert torch.allclose(g.float(), stats.gram(f), rtol=0.02)
    g.float().sum().backward()
    assert low.grad.dtype == torch.bfloat16

