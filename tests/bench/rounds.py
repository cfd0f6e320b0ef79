"""Timing for the benchmarks: the figures of a ratio timed in alternate rounds."""
import time


def best(runs, *fns):
    """The best time of each function over @runs rounds, one call of each per round, so that
    a slow spell of the machine falls on every figure of a ratio alike."""
    times = [[] for _ in fns]
    for _ in range(runs):
        for fn, fn_times in zip(fns, times):
            start = time.perf_counter()
            fn()
            fn_times.append(time.perf_counter() - start)
    return [min(t) for t in times]
