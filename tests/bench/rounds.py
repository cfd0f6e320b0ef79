"""Timing for the benchmarks: the figures of a ratio timed in alternate rounds."""
import time


def best(runs, *fns, self_timed=False):
    """The best time of each function over @runs rounds, one call of each per round, so that
    a slow spell of the machine falls on every figure of a ratio alike. With @self_timed, each
    function returns the seconds it measured itself (ceiling.py's), which count instead of
    the time of the call."""
    times = [[] for _ in fns]
    for _ in range(runs):
        for fn, fn_times in zip(fns, times):
            start = time.perf_counter()
            seconds = fn()
            fn_times.append(seconds if self_timed else time.perf_counter() - start)
    return [min(t) for t in times]
