"""A style transfer's result measured against its inputs (stylegram.analysis.explain, `stylegram explain`)."""

import re

import pytest
import torch

from stylegram import stats
from stylegram.analysis.explain import channel_agreement, gram_layers
from stylegram.cli import main
from stylegram.images import load_tensor, save_image
from stylegram.samples import path


def test_the_share_of_the_way_is_0_at_the_content_and_1_at_the_style(vgg):
    content, style = load_tensor(path("chelsea"), size=64), load_tensor(path("swirls"), size=64)
    halfway = 0.5 * content[..., :, :64] + 0.5 * style[..., :content.shape[-2], :]
    at_content, at_style, between = (gram_layers(content[..., :, :64], result, style, vgg, ["relu2_1"])[0]
                                     for result in (content[..., :, :64], style, halfway))
    assert at_content.moved == pytest.approx(0.0) and at_style.moved == pytest.approx(1.0)
    assert 0.0 < between.moved < 1.0
    features = vgg.extract(style, ["relu2_1"])["relu2_1"]
    by_hand = features[0].flatten(1) @ features[0].flatten(1).T / features[0][0].numel()
    assert torch.allclose(at_style.style, by_hand, rtol=1e-4, atol=1e-5)  # the loss's own Gram normalization
    assert torch.equal(at_style.style, stats.gram(features)[0])


def test_channel_agreement_is_the_pearson_correlation_of_each_channel():
    a = torch.tensor([[[1.0, 2.0], [3.0, 4.0]], [[1.0, 0.0], [0.0, 1.0]], [[2.0, 2.0], [2.0, 2.0]]])
    b = torch.stack([2 * a[0] + 1, -a[1], a[0]])
    assert torch.allclose(channel_agreement(a, b), torch.tensor([1.0, -1.0, 0.0]))  # flat: 0, not NaN


def test_the_explain_command_writes_a_page_that_measures_the_result(tmp_path, capsys):
    content = load_tensor(path("chelsea"), size=96)
    save_image(content, tmp_path / "cat.png")
    out = tmp_path / "why.html"
    # the content itself as the result: no way gone to the style, its maps the content's own
    assert main(["explain", str(tmp_path / "cat.png"), "sample:swirls", str(tmp_path / "cat.png"), "-o", str(out),
                 "--style-layers", "relu1_1,relu2_1"]) == 0
    page = out.read_text()
    assert re.findall(r"<td>(relu\d_1)</td><td>[\d.e+]+</td><td>[\d.e+]+</td><td>(-?\d+)%</td>", page) == [
        ("relu1_1", "0"), ("relu2_1", "0")]
    assert "mean Pearson r of <strong>1.00</strong>" in page and page.count("<img") == 5
    assert main(["explain", "sample:chelsea", "sample:swirls", str(tmp_path / "cat.png"), "-o",
                 str(tmp_path / "why.png")]) == 2
    assert "should end in .html or .htm" in capsys.readouterr().err
    assert main(["explain", "sample:chelsea", "sample:swirls", str(tmp_path / "cat.png"), "-o", str(out),
                 "--content-layer", "relu4_3x"]) == 2
    assert "relu4_3x" in capsys.readouterr().err
    save_image(torch.rand(1, 3, 64, 64), tmp_path / "square.png")
    assert main(["explain", str(tmp_path / "cat.png"), "sample:swirls", str(tmp_path / "square.png"), "-o",
                 str(out)]) == 2
    assert "the result is 64x64 px and the content 96x64: a transfer keeps its content's shape" in \
        capsys.readouterr().err


def test_the_python_api_measures_without_writing_a_page(vgg):
    import stylegram

    content = load_tensor(path("chelsea"), size=64)
    same = stylegram.explain(content, "sample:swirls", content, model=vgg, style_layers=["relu1_1", "relu3_1"])
    assert [g.layer for g in same.grams] == ["relu1_1", "relu3_1"] and same.moved == pytest.approx(0.0, abs=1e-6)
    assert same.kept == pytest.approx(1.0) and abs(same.chance) < 0.2
    painted = stylegram.transfer(content, "sample:swirls", model=vgg, size=64, min_size=64, iterations="20")
    measured = stylegram.explain(content, "sample:swirls", painted.image, model=vgg)
    assert measured.moved > 0.3 and 0.2 < measured.kept < 1.0  # towards the style, the layout still there
    assert 0 < measured.matches.used <= 1 and measured.html().count("<img") == 8
