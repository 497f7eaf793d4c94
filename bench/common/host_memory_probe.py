#!/usr/bin/python3
"""What first-touching fresh memory costs this machine, with nothing of mockforge involved.

Maps and touches N MiB of transparent huge pages (one write per 4 KiB), frees them, and does
that again after pauses of 0 to 30 s, printing the CPU time of each pass. On a virtual machine
whose balloon device reports free pages to the host, memory left free for a few seconds goes
back to the host, and the next pass pays the host's faults too: compare the passes after a
pause with those right after another one. bench/kafka/run.py --warm-host-memory takes that
cost out of the broker's figure (docs/benchmarks.md).

  bench/common/host_memory_probe.py [--mib 110]
"""

import argparse
import mmap
import time

PAUSES = [0, 0, 0, 5, 0, 15, 0, 30, 0, 0]


def touch(mib):
    size = mib << 20
    m = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    if hasattr(mmap, "MADV_HUGEPAGE"):
        m.madvise(mmap.MADV_HUGEPAGE)
    cpu = time.thread_time()
    for off in range(0, size, 4096):
        m[off] = 1
    cpu = time.thread_time() - cpu
    m.close()
    return cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mib", type=int, default=110)
    args = parser.parse_args()
    print(f"| pause before (s) | CPU to touch {args.mib} MiB (ms) |")
    print("| --- | --- |")
    for pause in PAUSES:
        time.sleep(pause)
        print(f"| {pause} | {touch(args.mib) * 1000:.1f} |", flush=True)


if __name__ == "__main__":
    main()
