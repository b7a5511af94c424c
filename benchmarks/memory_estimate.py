"""How the memory check's estimate compares with the peak memory a run really takes.

Run: python benchmarks/memory_estimate.py [--sizes 400 768] [--precisions float32 winograd bfloat16]

Before any work, transfer and texture estimate their peak memory (stylegram.memory.estimate) and refuse a size whose
estimate exceeds what is free, naming the largest that fits. An estimate far above the real peak refuses sizes that
would have run; one below it lets a run be killed for memory halfway. Each case here runs in a process of its own
(a transfer of hubble with swirls, or a texture of gravel: 2 iterations at each coarser scale, and at the finest
enough to fill L-BFGS's memory, which the estimate counts in full) that reports the largest
estimate its checks made; the parent reads the child's peak resident memory (ru_maxrss) from os.wait4. Printed: both
in GiB and their ratio (above 1: the estimate errs on the safe side).
"""

from __future__ import annotations

import argparse
import json

from isolated import GIB, run_case  # the benchmarks folder is on the path when run as a script
TRANSFER_HISTORY, TEXTURE_HISTORY = 20, 100  # L-BFGS's memory in each (TransferOptions.history, Schedule's default)


def child(case: dict) -> None:
    """Run one case, recording every estimate the memory checks make; print the largest as JSON."""
    import stylegram
    from stylegram import memory

    estimates = []
    estimate = memory.estimate

    def recording(*args, **kwargs) -> int:
        estimates.append(estimate(*args, **kwargs))
        return estimates[-1]

    memory.estimate = recording
    if case["kind"] == "transfer":  # 2 iterations at the coarser scales, at the finest enough to fill L-BFGS's memory
        stylegram.transfer("sample:hubble", "sample:swirls", size=case["size"], precision=case["precision"],
                           iterations=f"2,{TRANSFER_HISTORY + 3}", upscale=True, tolerance=0)
    else:
        stylegram.texture("sample:gravel", size=(case["size"], case["size"]), precision=case["precision"],
                          iterations=f"2,{TEXTURE_HISTORY + 3}", tolerance=0)
    print(json.dumps({"estimate": max(estimates)}))


def measured(case: dict) -> tuple[float, float]:
    """(estimate, peak resident memory) in GiB of one case, run in a process of its own."""
    record, peak = run_case(__file__, case)
    return record["estimate"] / GIB, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[400, 768])
    parser.add_argument("--precisions", nargs="+", default=["float32", "winograd", "bfloat16"])
    parser.add_argument("--kinds", nargs="+", default=["transfer", "texture"], choices=["transfer", "texture"])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(json.loads(args.child))
    print("| kind | size | precision | estimate GiB | peak GiB | estimate / peak |")
    print("| --- | --- | --- | --- | --- | --- |")
    for kind in args.kinds:
        for size in args.sizes:
            for precision in args.precisions:
                estimate, peak = measured({"kind": kind, "size": size, "precision": precision})
                print(f"| {kind} | {size} | {precision} | {estimate:.2f} | {peak:.2f} | {estimate / peak:.2f} |",
                      flush=True)


if __name__ == "__main__":
    main()
