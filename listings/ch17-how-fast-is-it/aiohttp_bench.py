"""Listing 17-1's measurement in Python: asyncio and aiohttp, N GET requests to one URL
with at most C in flight. Run it with Python 3.11 or later (for asyncio.TaskGroup) and
aiohttp installed, e.g.
python3 aiohttp_bench.py --url http://127.0.0.1:8000/json --requests 1000 --concurrency 100
"""

import argparse
import asyncio
import json
import math
import sys
import time

import aiohttp


async def get(session, url):
    """One request, its body read to the end: its latency, and its error if it failed."""
    started = time.perf_counter()
    try:
        async with session.get(url) as response:
            response.raise_for_status()
            await response.read()
        return time.perf_counter() - started, None
    except (aiohttp.ClientError, asyncio.TimeoutError) as error:
        return time.perf_counter() - started, error


async def send(session, url, requests, concurrency):
    """C workers, each sending requests one after another until N have been sent."""
    latencies, errors = [], []
    remaining = iter(range(requests))

    async def worker():
        for _ in remaining:
            took, error = await get(session, url)
            if error is None:
                latencies.append(took)
            else:
                errors.append(error)

    async with asyncio.TaskGroup() as group:
        for _ in range(min(concurrency, requests)):
            group.create_task(worker())
    return latencies, errors


def percentile_ms(ordered, percent):
    """The latency that `percent` of the requests took at most (nearest rank)."""
    if not ordered:
        return None
    rank = math.ceil(percent / 100 * len(ordered))
    return ordered[max(rank, 1) - 1] * 1000


def peak_rss_kib():
    """VmHWM from /proc/self/status, as Listing 17-1 reads it (Linux only)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000/json")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=100)
    args = parser.parse_args()

    # The same deadlines as the Rust listings. TCPConnector allows 100 connections
    # unless told otherwise, which would cap the concurrency at 100.
    timeout = aiohttp.ClientTimeout(total=10, sock_connect=5)
    connector = aiohttp.TCPConnector(limit=args.concurrency)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        started = time.perf_counter()
        latencies, errors = await send(session, args.url, args.requests, args.concurrency)
        wall = time.perf_counter() - started

    latencies.sort()
    print(json.dumps({
        "requests": args.requests,
        "concurrency": args.concurrency,
        "errors": len(errors),
        "wall_s": wall,
        "throughput_rps": len(latencies) / wall,
        "p50_ms": percentile_ms(latencies, 50),
        "p99_ms": percentile_ms(latencies, 99),
        "peak_rss_kib": peak_rss_kib(),
    }, sort_keys=True))
    if errors:
        sys.exit(f"{len(errors)} of {args.requests} requests failed, the first with: {errors[0]!r}")


if __name__ == "__main__":
    asyncio.run(main())
