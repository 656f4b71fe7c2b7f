#!/usr/bin/env python3
"""Churn test: delete a fraction of a store's vectors, insert them again, and compare recall,
speed and store size before and after, through the fmdb command line.

usage: tools/churn.py STORE BASE.fvecs QUERIES.fvecs TRUTH.ivecs [--fraction 0.3] [--ef 32]
                      [--k 10] [--seed 1] [--fmdb .build/release/fmdb] [--rounds 1]

STORE must hold BASE imported with ids = row numbers (fmdb import STORE BASE.fvecs).
Each round picks a random --fraction of the ids (seeded), removes them with `fmdb rm`,
re-imports the same rows with their ids from a JSON-lines file, then runs `fmdb verify` and
`fmdb bench` (the re-import compacts the free pages away at its end unless --no-compact). Prints a line per step and one JSON summary line at the end: size_* is data.mdb,
live_* data.mdb less its free pages (what `fmdb compact` would leave).
"""
import argparse
import json
import os
import random
import struct
import subprocess
import sys
import tempfile


def read_fvecs(path):
    with open(path, "rb") as f:
        data = f.read()
    rows, offset = [], 0
    while offset < len(data):
        (d,) = struct.unpack_from("<i", data, offset)
        rows.append(struct.unpack_from(f"<{d}f", data, offset + 4))
        offset += 4 + 4 * d
    return rows


def run(fmdb, *args):
    result = subprocess.run([fmdb, *args], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"fmdb {' '.join(args[:2])} failed ({result.returncode}): {result.stderr.strip()}")
    return result.stdout


def bench(fmdb, store, queries, truth, k, ef):
    line = run(fmdb, "bench", store, "--queries", queries, "--truth", truth, "--k", str(k), "--ef", str(ef), "--json")
    return json.loads(line.splitlines()[-1])


def size(store):
    return os.path.getsize(os.path.join(store, "data.mdb"))


def live_size(fmdb, store):
    """data.mdb less its free pages: LMDB cannot reuse the pages the last two transactions freed,
    so the file carries up to two transactions' worth of copies that later writes reuse."""
    stats = json.loads(run(fmdb, "stats", store, "--json", "--recall-sample", "0"))
    return stats["file_bytes"] - stats["free_pages"] * stats["page_size"]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("store")
    p.add_argument("base")
    p.add_argument("queries")
    p.add_argument("truth")
    p.add_argument("--fraction", type=float, default=0.3)
    p.add_argument("--ef", type=int, default=32)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--batch", type=int, default=1000, help="ids per fmdb rm call (one transaction each)")
    p.add_argument("--no-compact", action="store_true",
                   help="re-insert with `fmdb import --no-compact` (as a server or library writer would: no compaction after)")
    p.add_argument("--fmdb", default=os.path.join(os.path.dirname(__file__), "..", ".build", "release", "fmdb"))
    a = p.parse_args()

    base = read_fvecs(a.base)
    before = bench(a.fmdb, a.store, a.queries, a.truth, a.k, a.ef)
    size_before, live_before = size(a.store), live_size(a.fmdb, a.store)
    print(f"before: recall@{a.k} {before['recall']:.4f} at ef {a.ef}, {before['qps']:.0f} q/s, data.mdb {size_before / 2**20:.1f} MiB")
    rng = random.Random(a.seed)
    with tempfile.TemporaryDirectory() as work:
        for round_ in range(1, a.rounds + 1):
            ids = sorted(rng.sample(range(len(base)), int(len(base) * a.fraction)))
            for start in range(0, len(ids), a.batch):
                run(a.fmdb, "rm", a.store, *map(str, ids[start:start + a.batch]))
            size_deleted = size(a.store)
            rows = os.path.join(work, "rows.jsonl")
            with open(rows, "w") as f:
                for i in ids:
                    f.write(json.dumps({"id": i, "vector": list(base[i])}) + "\n")
            run(a.fmdb, "import", a.store, rows, "--batch-size", str(a.batch), *(["--no-compact"] if a.no_compact else []))
            run(a.fmdb, "verify", a.store)
            print(f"round {round_}: removed and re-inserted {len(ids)} vectors; "
                  f"data.mdb {size_deleted / 2**20:.1f} MiB after the deletes, {size(a.store) / 2**20:.1f} MiB after the inserts; verify clean")
    after = bench(a.fmdb, a.store, a.queries, a.truth, a.k, a.ef)
    size_after, live_after = size(a.store), live_size(a.fmdb, a.store)
    print(f"after:  recall@{a.k} {after['recall']:.4f} at ef {a.ef}, {after['qps']:.0f} q/s, data.mdb {size_after / 2**20:.1f} MiB")
    print(json.dumps({
        "fraction": a.fraction, "rounds": a.rounds, "ef": a.ef,
        "recall_before": before["recall"], "recall_after": after["recall"],
        "recall_drop": round(before["recall"] - after["recall"], 4),
        "size_before": size_before, "size_after": size_after,
        "size_growth": round(size_after / size_before - 1, 4),
        "live_before": live_before, "live_after": live_after,
        "live_growth": round(live_after / live_before - 1, 4),
        "qps_before": before["qps"], "qps_after": after["qps"],
    }))


if __name__ == "__main__":
    main()
