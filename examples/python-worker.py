#!/usr/bin/env python3
"""A PoolToy command worker in Python, standard library only.

Use it from Node.js:

    const pool = await createPool({ worker: commandWorker('python3', ['examples/python-worker.py']), size: 4 });
    await pool.run({ primesBelow: 100000 });   // -> 9592

The protocol (docs/workers.md): one JSON object per line. Write {"ready": true} once initialised; then read
{"id": n, "payload": ...} from stdin and answer {"id": n, "result": ...} or {"id": n, "error": {...}} on stdout.
Lines with "abort" may be ignored. stdout carries the protocol only: log to stderr. Exit when stdin ends.
"""
import json
import os
import sys
import traceback


def count_primes_below(limit):
    """CPU-bound work: a sieve of Eratosthenes."""
    if limit < 3:
        return 0
    sieve = bytearray([1]) * limit
    sieve[0] = sieve[1] = 0
    for n in range(2, int(limit**0.5) + 1):
        if sieve[n]:
            sieve[n * n :: n] = bytearray(len(range(n * n, limit, n)))
    return sum(sieve)


def handle(payload):
    """Answer one call; an exception becomes the caller's error, with its name, message and traceback."""
    if isinstance(payload, dict) and "primesBelow" in payload:
        return count_primes_below(int(payload["primesBelow"]))
    if isinstance(payload, dict) and "fail" in payload:
        raise ValueError(payload["fail"])
    if isinstance(payload, dict) and "workerId" in payload:
        return os.environ.get("POOLTOY_WORKER_ID")
    return payload


def send(message):
    sys.stdout.write(json.dumps(message, separators=(",", ":")) + "\n")
    sys.stdout.flush()  # the pool waits for whole lines: never leave an answer in a buffer


def main():
    # Initialise here (load a model, open a connection); on failure: send({"error": {...}}) and exit non-zero.
    send({"ready": True})
    while True:
        line = sys.stdin.readline()
        if line == "":
            return  # stdin EOF: the pool stopped us, or its process died — never outlive it
        if not line.strip():
            continue
        request = json.loads(line)
        if request.get("abort"):
            continue  # one call at a time: by the time an abort is read, its call has already been answered
        try:
            send({"id": request["id"], "result": handle(request.get("payload"))})
        except Exception as error:  # noqa: BLE001 — every handler error goes back to the caller
            send({
                "id": request["id"],
                "error": {"name": type(error).__name__, "message": str(error), "stack": traceback.format_exc()},
            })


if __name__ == "__main__":
    main()
