"""The loop's L-BFGS: converges like L-BFGS, and its guards undo a bad step and skip a bad curvature pair."""

import subprocess
import sys

import pytest
import torch

from stylegram import lbfgs
from stylegram.lbfgs import LBFGS


def quadratic(n: int = 50, spread: float = 1e3) -> tuple[torch.Tensor, torch.Tensor]:
    """A random SPD matrix with eigenvalues from 1 to ``spread``, and a right-hand side."""
    g = torch.Generator().manual_seed(0)
    q, _ = torch.linalg.qr(torch.randn(n, n, generator=g, dtype=torch.float64))
    a = q @ torch.diag(torch.logspace(0, torch.log10(torch.tensor(spread)).item(), n, dtype=torch.float64)) @ q.T
    return a, torch.randn(n, generator=g, dtype=torch.float64)


def run(opt: LBFGS, x: torch.Tensor, f, steps: int) -> list[float]:
    losses = []

    def closure():
        opt.zero_grad()
        loss = f(x)
        loss.backward()
        return loss

    for _ in range(steps):
        losses.append(float(opt.step(closure).detach()))
    return losses


def test_solves_an_ill_conditioned_quadratic():
    a, b = quadratic()
    x = torch.zeros(50, dtype=torch.float64, requires_grad=True)
    optimum = torch.linalg.solve(a, b)
    f_min = float(0.5 * optimum @ a @ optimum - b @ optimum)
    # Shifted to stay positive: a rise of the loss is judged relative to its size.
    losses = run(LBFGS([x], history=20), x, lambda v: 0.5 * v @ a @ v - b @ v - 2 * f_min, 150)
    f_min = -f_min
    assert losses[-1] - f_min < 1e-6 * abs(f_min)
    assert torch.allclose(x.detach(), optimum, atol=1e-4)


def test_gradient_descent_with_the_same_budget_is_far_from_it():
    """The curvature memory is what solves the quadratic: with a history of 1 pair it gets much less far."""
    a, b = quadratic()
    f = lambda v: 0.5 * v @ a @ v - b @ v + 100  # noqa: E731
    x20 = torch.zeros(50, dtype=torch.float64, requires_grad=True)
    x1 = torch.zeros(50, dtype=torch.float64, requires_grad=True)
    optimum = torch.linalg.solve(a, b)
    run(LBFGS([x20], history=20), x20, f, 100)
    run(LBFGS([x1], history=1), x1, f, 100)
    assert (x20.detach() - optimum).norm() < 0.1 * (x1.detach() - optimum).norm()


def test_a_loss_jump_undoes_the_step_and_forgets_the_memory():
    """Then a gradient step as long as the steps that worked: not the 1-norm rule's step of length 1, which on an image
    moves each value by about nothing and measures only noise as curvature."""
    a, b = quadratic(10, 10.0)
    x = torch.zeros(10, dtype=torch.float64, requires_grad=True)
    opt = LBFGS([x], history=5)
    f = lambda v: 0.5 * v @ a @ v - b @ v  # noqa: E731
    run(opt, x, f, 4)
    worked, undone = opt.state["last_step"], float((x.detach() - opt.state["x"]).norm())
    before, grad = opt.state["x"].clone(), opt.state["g"].clone()
    assert opt.state["s"] and opt.state["restarts"] == 0
    # The next evaluation reports a loss far above the last one, as after a step that blew up.
    run(opt, x, lambda v: f(v) + 100.0, 1)
    assert opt.state["restarts"] == 1
    assert opt.state["s"] == [] and opt.state["y"] == []
    # It went back to the last good point and took a plain gradient step from there, half the undone one's length
    # but no longer than the last that worked; undone again, half as long again.
    radius = min(undone / 2, worked)
    assert opt.state["radius"] == radius
    assert torch.allclose(x.detach() - before, -radius * grad / grad.norm())
    run(opt, x, lambda v: f(v) + 1000.0, 1)
    assert torch.allclose(x.detach() - before, -radius / 2 * grad / grad.norm())


def test_settle_judges_the_last_step_and_undoes_a_bad_one():
    """A step is judged when the next begins, so a bad last step was what a run kept (a picture in blotches)."""
    a, b = quadratic(10, 10.0)
    x = torch.zeros(10, dtype=torch.float64, requires_grad=True)
    opt = LBFGS([x], history=5)
    f = lambda v: 0.5 * v @ a @ v - b @ v + 10  # noqa: E731
    assert opt.settle(lambda: f(x)) and not x.detach().any()  # no step taken: nothing to judge
    run(opt, x, f, 4)
    reached = x.detach().clone()
    assert opt.settle(lambda: f(x)) and torch.equal(x.detach(), reached)  # a good step is kept
    last = opt.state["x"].clone()
    assert not opt.settle(lambda: f(x) + 100.0)  # as if it blew up: back to the point it was taken from
    assert torch.equal(x.detach(), last) and opt.state["restarts"] == 1 and opt.state["s"] == []
    assert not opt.settle(lambda: torch.tensor(float("nan")))  # a NaN there is no better


def test_a_transfer_keeps_the_picture_before_a_bad_last_step(vgg, monkeypatch):
    """The loop settles each scale's last step: one whose loss shot up is undone, the picture before it kept."""
    from stylegram import gatys
    from stylegram.images import load_tensor
    from stylegram.samples import path

    content, style = load_tensor(path("chelsea"), size=48), load_tensor(path("swirls"), size=64)
    options = dict(model=vgg, size=48, min_size=48, iterations="3", tolerance=0, polish=0, parameterization="pixels")
    whole = gatys.prepare(content, style, **options)
    pictures = [p.image() for p in whole]
    settle = LBFGS.settle
    monkeypatch.setattr(LBFGS, "settle", lambda self, loss_at: settle(self, lambda: loss_at() * 10))
    undone = gatys.prepare(content, style, **options).run()
    assert torch.equal(undone.image, pictures[-2]) and not torch.equal(undone.image, pictures[-1])
    assert len(undone.history) == 3


def test_a_pair_whose_gradient_change_is_orthogonal_to_the_step_is_not_kept():
    opt = LBFGS([torch.zeros(2)], history=5)
    opt._remember(torch.tensor([1.0, 0.0]), torch.tensor([1e-4, 1.0]))  # cosine 1e-4
    assert opt.state["s"] == []
    opt._remember(torch.tensor([1.0, 0.0]), torch.tensor([0.5, 1.0]))  # cosine 0.45
    assert len(opt.state["s"]) == 1
    assert lbfgs.MIN_COSINE > 1e-4


def test_state_dict_continues_bit_identically():
    """What a checkpoint saves is enough to continue exactly (Rosenbrock: non-quadratic, curved)."""
    f = lambda v: (1 - v[0]) ** 2 + 100 * (v[1] - v[0] ** 2) ** 2  # noqa: E731
    x = torch.tensor([-1.2, 1.0], dtype=torch.float64, requires_grad=True)
    opt = LBFGS([x], history=10)
    run(opt, x, f, 10)
    saved, at = opt.state_dict(), x.detach().clone()
    straight = run(opt, x, f, 15)
    y = at.clone().requires_grad_(True)
    again = LBFGS([y], history=10)
    again.load_state_dict(saved)
    assert run(again, y, f, 15) == straight
    assert torch.equal(x, y)


def test_a_state_with_more_pairs_than_the_history_keeps_the_newest():
    """A texture checkpoint from when its L-BFGS kept 100 pairs, resumed with 20: the memory kept growing past them
    (only a full one drops its oldest)."""
    f = lambda v: (1 - v[0]) ** 2 + 100 * (v[1] - v[0] ** 2) ** 2  # noqa: E731
    x = torch.tensor([-1.2, 1.0], dtype=torch.float64, requires_grad=True)
    opt = LBFGS([x], history=10)
    run(opt, x, f, 12)
    saved = opt.state_dict()
    assert len(saved["s"]) > 3
    shorter = LBFGS([x], history=3)
    shorter.load_state_dict(saved)
    assert [len(shorter.state[k]) for k in ("s", "y", "rho")] == [3, 3, 3]
    assert all(a is b for a, b in zip(shorter.state["s"], saved["s"][-3:]))
    run(shorter, x, f, 5)
    assert len(shorter.state["s"]) <= 3


def test_a_checkpoint_from_before_the_kept_rhos_continues_the_same():
    f = lambda v: (1 - v[0]) ** 2 + 100 * (v[1] - v[0] ** 2) ** 2  # noqa: E731
    runs = []
    for drop in (False, True):
        x = torch.tensor([-1.2, 1.0], dtype=torch.float64, requires_grad=True)
        opt = LBFGS([x], history=10)
        run(opt, x, f, 10)
        saved = opt.state_dict()
        assert len(saved["rho"]) == len(saved["s"]) > 0
        if drop:
            del saved["rho"]
        again = LBFGS([x], history=10)
        again.load_state_dict(saved)
        runs.append(run(again, x, f, 15))
    assert runs[0] == runs[1]


def test_rosenbrock_reaches_its_minimum_without_blowing_up():
    f = lambda v: (1 - v[0]) ** 2 + 100 * (v[1] - v[0] ** 2) ** 2  # noqa: E731
    x = torch.tensor([-1.2, 1.0], dtype=torch.float64, requires_grad=True)
    losses = run(LBFGS([x], history=10), x, f, 300)
    assert max(losses) < 1e3 and losses[-1] < 1e-8
    assert torch.allclose(x.detach(), torch.ones(2, dtype=torch.float64), atol=1e-3)


def test_a_torch_lbfgs_state_from_an_old_checkpoint_starts_afresh():
    opt = LBFGS([torch.zeros(3)])
    opt.load_state_dict({"state": {0: {"n_iter": 5}}, "param_groups": []})
    assert opt.state["x"] is None and opt.state["s"] == []


def test_a_transfer_does_not_import_torch_dynamo():
    """Constructing a torch.optim optimizer imports torch._dynamo (~0.7 s); the default path must not."""
    code = (
        "import sys, torch\n"
        "import stylegram.gatys\n"
        "from stylegram import optimize\n"
        "x = torch.zeros(4, requires_grad=True)\n"
        "optimize._make_optimizer(optimize.Schedule([1]), [x], 0)\n"
        "print('torch._dynamo' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_a_checkpoint_from_before_the_radius_continues():
    """Checkpoints written before the radius kept a 'damp' factor instead, and no last step; they load, and a first
    step undone after the resume takes its gradient step as usual."""
    x = torch.full((3,), 0.5, requires_grad=True)  # where the step before the checkpoint went, from 0
    opt = LBFGS([x])
    f = lambda v: ((v - 1) ** 2).sum()  # noqa: E731
    opt.load_state_dict({"s": [], "y": [], "x": torch.zeros(3), "g": -2 * torch.ones(3), "loss": 3.0, "restarts": 2,
                         "damp": 0.5})
    assert opt.state["radius"] is None and "damp" not in opt.state and opt.state["restarts"] == 2
    run(opt, x, lambda v: f(v) + 100.0, 1)  # the first evaluation after the resume undoes the step
    assert opt.state["restarts"] == 3 and opt.state["radius"] == pytest.approx(0.5 * 0.5 * 3 ** 0.5)
    assert torch.allclose(x.detach(), torch.full((3,), opt.state["radius"] / 3 ** 0.5))  # along -g from 0
    run(opt, x, f, 5)
    assert float(f(x.detach())) < 3


def test_the_result_measures_the_picture_it_ends_with(vgg):
    """The history's rows measure the picture each step began from, so none measured the picture written: the
    result's final_losses (and --log's 'end' rows) are its own terms, as the objective gives them on the image."""
    from stylegram import gatys
    from stylegram.images import load_tensor
    from stylegram.samples import path

    content, style = load_tensor(path("chelsea"), size=48), load_tensor(path("swirls"), size=64)
    for optimizer in ("lbfgs", "adam"):
        job = gatys.prepare(content, style, model=vgg, size=48, min_size=48, iterations="4", tolerance=0, polish=0,
                            parameterization="pixels", content_boost=0, optimizer=optimizer)
        result = job.run()
        terms = job.problem.terms_at(job.problem.sizes()[-1])
        with torch.no_grad():
            measured = {name: float(value) for name, value in terms(result.image).items()}
        assert result.final_losses == pytest.approx(measured, rel=1e-5), optimizer
        last = {k: v for k, v in result.history[-1].items() if k not in ("iteration", "scale")}
        assert sum(measured.values()) < sum(last.values())  # the last step lowered the loss further
        assert f"loss {sum(measured.values()):.4g})" in repr(result)
