"""L-BFGS with one loss evaluation per step, guarded against the blow-ups of running it without a line search.

The classic style-transfer recipe runs L-BFGS with a fixed step of 1 and no line search: one forward and
backward pass per iteration, the cheapest way to a good image. Without a line search nothing stops a bad
step, and one bad curvature pair is enough for one. At 512 px, after 248 good iterations in bfloat16 with a
history of 100, a pair whose gradient change was nearly orthogonal to its step (cosine 0.005) made a step
100 times longer than the ones before it, and the loss went from 0.92 to 9.1 and on to 600 (BENCHMARKS.md).
This version keeps the fixed step and adds two guards, neither of which costs a pass:

- a curvature pair is kept only when the gradient change points along the step (cosine >= ``MIN_COSINE``);
- when the loss rises by more than ``MAX_RISE`` in one step, it goes back to the previous point, forgets its
  curvature memory and takes a gradient step from there, half as long as the step it undid but no longer than the
  last step that worked, and half as long again each time that fails too.

A step is judged when the next one begins, so the last step of a run is judged by ``settle``, at the cost of one
forward pass: a bad last step was the picture written (a 96 px transfer in luminance mode, one thread: the loss
measured 224 before it and the picture came out in black and white blotches).

Otherwise it computes what torch.optim.LBFGS(max_iter=1) computes (the results agree to the noise of the
benchmark), without importing torch's optimizer machinery, which costs about 0.7 s per process.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

MIN_COSINE = 1e-2  # a curvature pair (s, y) is kept only if y.s >= this * |y| |s|
MAX_RISE = 0.1  # a loss higher than the previous one by this fraction of it undoes the step, restarts the memory
FRESH = {"radius": None, "last_step": float("inf")}  # no step undone yet, none taken (older checkpoints lack these)


class LBFGS:
    """Limited-memory BFGS over a list of tensors: ``step(closure)`` evaluates once and moves once."""

    def __init__(self, params: list[torch.Tensor], lr: float = 1.0, history: int = 20):
        self.params, self.lr, self.history = list(params), lr, history
        self.state: dict = {"s": [], "y": [], "rho": [], "x": None, "g": None, "loss": None, "restarts": 0, **FRESH}

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients of the parameters (the closure computes them anew)."""
        for p in self.params:
            p.grad = None

    def state_dict(self) -> dict:
        """Everything a later ``load_state_dict`` needs to continue bit-identically."""
        st = self.state
        return {**st, "s": list(st["s"]), "y": list(st["y"]), "rho": list(st["rho"])}

    def load_state_dict(self, state: dict) -> None:
        """Continue from a ``state_dict()``; a torch.optim.LBFGS state (old checkpoints) starts afresh. Pairs beyond
        this optimizer's history (one saved with a longer one) are dropped, the oldest first."""
        if "restarts" in state:
            rho = state.get("rho", [1.0 / float(y @ s) for s, y in zip(state["s"], state["y"])])  # older checkpoints
            newest = slice(-self.history, None)
            self.state = {**FRESH, **state, "s": list(state["s"])[newest], "y": list(state["y"])[newest],
                          "rho": list(rho)[newest]}
            self.state.pop("damp", None)  # what checkpoints before the radius kept instead

    @torch.no_grad()
    def settle(self, loss_at: Callable[[], torch.Tensor]) -> bool:
        """After the last step: measure the point it reached (``loss_at``, the loss there) and go back to the point
        before it where the loss rose as much as an undone step's, or is not finite. Returns whether the step was
        kept (True where no step was taken)."""
        st = self.state
        if st["loss"] is None:
            return True
        loss = float(loss_at())
        if loss == loss and loss <= st["loss"] + MAX_RISE * abs(st["loss"]):  # loss == loss: not NaN
            return True
        self._write(st["x"])
        st["s"].clear(), st["y"].clear(), st["rho"].clear()
        st["restarts"] += 1
        return False

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor]) -> torch.Tensor:
        """Evaluate the loss and its gradient at the current point, then take one quasi-Newton step."""
        with torch.enable_grad():
            loss = closure()
        x, g = self._flat_params(), self._flat_grads()
        st = self.state
        if st["loss"] is not None and float(loss) > st["loss"] + MAX_RISE * abs(st["loss"]):
            # Undo the step that made things worse, forget the curvature behind it, and go half as far next time.
            st["radius"] = min(0.5 * float((x - st["x"]).norm()), st["last_step"])
            x, g = st["x"], st["g"]
            st["s"].clear(), st["y"].clear(), st["rho"].clear()
            st["restarts"] += 1
        else:
            if st["x"] is not None:
                taken = x - st["x"]
                self._remember(taken, g - st["g"])
                st["last_step"] = float(taken.norm())
            st["x"], st["g"], st["loss"] = x, g, float(loss)
        t = self.lr
        if not st["s"]:
            t = self._gradient_step(g)
            if t == 0:
                return loss
        self._write(torch.add(x, self._direction(g), alpha=t))
        return loss

    def _gradient_step(self, g: torch.Tensor) -> float:
        """The step length along -g: at most lr in the 1-norm; after an undone step, the ``radius`` it left.

        After an undone step the length of the steps that worked, not the 1-norm rule: on an image a step of length 1
        in the 1-norm moves each value by about nothing, the curvature measured over so short a step is noise, and the
        next quasi-Newton step overshot again (a 96 px texture undid 7 of its first 30 steps and stalled at 41 % of
        its first loss; it now undoes 1 and reaches 6 %).
        """
        radius = self.state["radius"]
        size = float(g.abs().sum() if radius is None else g.norm())
        if size == 0:
            return 0.0
        return self.lr * min(1.0, 1.0 / size) if radius is None else radius / size

    def _remember(self, s: torch.Tensor, y: torch.Tensor) -> None:
        ys = float(y @ s)
        if ys <= MIN_COSINE * float(y.norm() * s.norm()) or ys <= 1e-10:
            return
        st = self.state
        if len(st["s"]) == self.history:
            st["s"].pop(0), st["y"].pop(0), st["rho"].pop(0)
        st["s"].append(s), st["y"].append(y), st["rho"].append(1.0 / ys)

    def _direction(self, g: torch.Tensor) -> torch.Tensor:
        """-H g by the two-loop recursion, H the inverse Hessian estimate from the remembered pairs.

        The vectors are as long as the image has values, so this is bound by memory: the updates are in place and
        1 / (y.s) is kept from when the pair was remembered (at 512 px this halved its share of an iteration).
        """
        st = self.state
        q = -g
        alphas = []
        for s, y, rho in zip(reversed(st["s"]), reversed(st["y"]), reversed(st["rho"])):
            alpha = rho * float(s @ q)
            q.add_(y, alpha=-alpha)
            alphas.append(alpha)
        if st["s"]:
            y = st["y"][-1]
            q.mul_(1.0 / (st["rho"][-1] * float(y @ y)))
        for s, y, rho, alpha in zip(st["s"], st["y"], st["rho"], reversed(alphas)):
            beta = rho * float(y @ q)
            q.add_(s, alpha=alpha - beta)
        return q

    def _flat_params(self) -> torch.Tensor:
        """A copy (the optimizer keeps it while it changes the parameters in place)."""
        return torch.cat([p.detach().reshape(-1) for p in self.params])

    def _flat_grads(self) -> torch.Tensor:
        """The gradients as one vector; a single parameter's own gradient, uncopied (the closure makes a new one)."""
        grads = [(p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1) for p in self.params]
        return grads[0] if len(grads) == 1 else torch.cat(grads)

    def _write(self, flat: torch.Tensor) -> None:
        offset = 0
        for p in self.params:
            p.copy_(flat[offset : offset + p.numel()].view_as(p))
            offset += p.numel()
