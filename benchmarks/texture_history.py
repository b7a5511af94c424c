"""How many L-BFGS curvature pairs a texture needs: the memory of 100 (the classic) against 20 (a transfer's).

    python benchmarks/texture_history.py [--examples gravel brick mosaic] [--size 256] [--histories 100 20]
                                         [--seeds 0]

A texture synthesis runs L-BFGS over the picture's pixels, and its memory holds two vectors the size of the picture
per pair: at 100 pairs they are most of a texture's peak memory above the network's maps, and all of its
checkpoint. Each case runs the default options (three scales to --size) in a process of its own, one after another
per example (the machine is shared: compare within an example). Printed per case: the iterations run, the final
loss, the texture distance to the example (texture_speed's evaluator, float32), the seconds, the peak resident
memory (ru_maxrss from os.wait4) and the bytes of a checkpoint written at the last step.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from isolated import run_case  # the benchmarks folder is on the path when run as a script


def child(case: dict) -> None:
    """Run one case and print its figures as JSON."""
    import stylegram  # noqa: F401  (before torch: it sets OpenMP's wait policy, see stylegram/__init__.py)

    from stylegram import samples, synthesis
    from stylegram.features import default_backbone
    from stylegram.images import load_tensor
    from texture_speed import texture_distance  # the benchmarks folder is on the path when run as a script

    job = synthesis.prepare_texture(f"sample:{case['example']}", size=case["size"], seed=case["seed"])
    job.schedule.history = case["history"]  # read when each scale makes its optimizer
    seconds, written = 0.0, 0
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        for record in job:
            if record.iteration == record.total:  # the last step, its pairs still held (the end drops them)
                seconds = time.perf_counter() - start
                job.checkpoint(Path(folder) / "run.ckpt")
                written = (Path(folder) / "run.ckpt").stat().st_size
    result = job.result()
    last = result.history[-1]
    example = load_tensor(samples.path(case["example"]))
    distance = texture_distance(result.image, example, default_backbone("avg"))
    loss = sum(value for name, value in last.items() if name not in ("iteration", "scale"))
    print(json.dumps({"iterations": last["iteration"], "loss": loss, "distance": distance, "seconds": seconds,
                      "checkpoint": written}))


def measured(case: dict) -> dict:
    """One case's figures, with its peak resident memory in GiB, run in a process of its own."""
    record, peak = run_case(__file__, case)
    return {**record, "peak": peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", nargs="+", default=["gravel", "brick", "mosaic"])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--histories", nargs="+", type=int, default=[100, 20])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(json.loads(args.child))
        return
    print("| example | seed | history | iterations | loss | distance | seconds | peak GiB | checkpoint MB |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for example in args.examples:
        for seed in args.seeds:
            for history in args.histories:
                r = measured({"example": example, "size": args.size, "history": history, "seed": seed})
                print(f"| {example} | {seed} | {history} | {r['iterations']} | {r['loss']:.5f} | {r['distance']:.5f} | "
                      f"{r['seconds']:.1f} | {r['peak']:.2f} | {r['checkpoint'] / 1e6:.1f} |", flush=True)


if __name__ == "__main__":
    main()
