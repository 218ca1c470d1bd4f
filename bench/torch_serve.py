"""The request loop of the PyTorch peers that bench/*.ts runs interleaved with Strata (bench/torch_resnet.py,
bench/torch_lenet.py): one JSON request per stdin line, one JSON reply per stdout line, so that the two sides
take turns in the same seconds of a noisy machine instead of one after the other.
"""
import json
import sys
import time


def timed(fn, warmup, count):
    """Seconds taken by each of `count` calls of fn, after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(count):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def serve(hello, handlers):
    """Print `hello`, then answer each request {"op": name, ...} with handlers[name](request), or {"error": why}."""
    print(json.dumps(hello), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            reply = handlers[request['op']](request)
        except Exception as e:  # the benchmark reports it and goes on
            reply = {'error': f'{type(e).__name__}: {e}'}
        print(json.dumps(reply), flush=True)
