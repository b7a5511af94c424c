"""The relative error of the feature terms: its value and gradient against the formula, in both layouts."""

import pytest
import torch

from stylegram.losses import ContentTerm, relative_mse


def by_formula(x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return (x.double() - target.double()).pow(2).mean() / target.double().pow(2).mean()


@pytest.mark.parametrize("layout", [torch.contiguous_format, torch.channels_last])
def test_relative_mse_is_the_formula_with_its_exact_gradient(layout):
    x = torch.randn(1, 6, 5, 7, dtype=torch.float64).contiguous(memory_format=layout).requires_grad_(True)
    target = torch.randn(1, 6, 5, 7, dtype=torch.float64)
    assert torch.allclose(relative_mse(x, target), by_formula(x, target))
    assert torch.autograd.gradcheck(lambda v: relative_mse(v, target), (x,))
    (grad,) = torch.autograd.grad(relative_mse(x, target), x)
    assert grad.is_contiguous(memory_format=layout)


def test_relative_mse_of_bfloat16_features_is_float32_and_its_gradient_bfloat16():
    x = torch.randn(1, 8, 6, 6)
    target = torch.randn(1, 8, 6, 6)
    low = x.bfloat16().requires_grad_(True)
    value = relative_mse(low, target)
    assert value.dtype == torch.float32
    assert abs(float(value.detach()) - float(by_formula(low.detach().float(), target))) < 1e-5
    (grad,) = torch.autograd.grad(value, low)
    assert grad.dtype == torch.bfloat16
    expected = 2 * (low.detach().float() - target) / (x.numel() * target.pow(2).mean())
    assert torch.allclose(grad.float(), expected, rtol=1e-2, atol=1e-6)


def test_relative_mse_broadcasts_a_single_input_over_a_batch_of_targets():
    x = torch.randn(1, 5, dtype=torch.float64, requires_grad=True)
    target = torch.randn(3, 5, dtype=torch.float64)
    assert torch.allclose(relative_mse(x, target), by_formula(x, target))
    assert torch.autograd.gradcheck(lambda v: relative_mse(v, target), (x,))


def test_a_target_that_needs_a_gradient_gets_one():
    target = torch.randn(2, 3, requires_grad=True)
    relative_mse(torch.randn(2, 3), target).backward()
    assert target.grad is not None and target.grad.abs().sum() > 0


def test_content_term_takes_the_features_layout_once_and_scores_the_same():
    target = torch.randn(1, 8, 4, 6)
    term = ContentTerm("relu4_2", target.clone())
    features = torch.randn(1, 8, 4, 6)
    plain = float(term({"relu4_2": features}))
    assert term.target.is_contiguous()
    last = float(term({"relu4_2": features.contiguous(memory_format=torch.channels_last)}))
    assert term.target.is_contiguous(memory_format=torch.channels_last)
    assert abs(last - plain) < 1e-6 * plain
    assert torch.equal(term.target, target)
