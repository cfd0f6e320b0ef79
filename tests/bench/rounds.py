"""Timing for the benchmarks: the figures of a ratio timed in alternate rounds."""
import time


def rounds(runs, *fns, self_timed=False):
    """The times of each function in each of @runs rounds, one call of each per round, so
    that a slow spell of the machine falls on every figure of a ratio alike; every other round
    calls them in the reverse order, so that none always follows the same one. With
    @self_timed, each function returns the seconds it measured itself (ceiling.py's), which
    count instead of the time of the call."""
    times = [[] for _ in fns]
    for i in range(runs):
        order = list(zip(fns, times))
        for fn, fn_times in order[::-1] if i % 2 else order:
            start = time.perf_counter()
            seconds = fn()
            fn_times.append(seconds if self_timed else time.perf_counter() - start)
    return times


def best(runs, *fns, self_timed=False):
    """The best time of each function over rounds() of them."""
    return [min(t) for t in rounds(runs, *fns, self_timed=self_timed)]


def wall(fn):
    """@fn as a self-timed function (for self_timed): it returns the wall time of a call of
    @fn, for rounds that mix such calls with functions that time themselves."""
    def timed():
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start
    return timed
