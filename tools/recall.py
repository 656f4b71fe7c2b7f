#!/usr/bin/env python3
"""Recall@k of `fmdb search --json` output against an ivecs ground-truth file.

usage: tools/recall.py RESULTS.jsonl GROUNDTRUTH.ivecs [--k 10] [--first-id N]

Ground-truth rows hold row numbers of the base file; ids in the store are row + first-id
(as `fmdb import --first-id` assigns them). Prints recall@k, and how many queries had
exactly the same top k (as sets), as one JSON line.
"""
import argparse
import json
import struct
import sys


def read_ivecs(path):
    rows = []
    with open(path, "rb") as f:
        data = f.read()
    offset = 0
    while offset < len(data):
        (d,) = struct.unpack_from("<i", data, offset)
        rows.append(struct.unpack_from(f"<{d}i", data, offset + 4))
        offset += 4 + 4 * d
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results")
    parser.add_argument("groundtruth")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--first-id", type=int, default=0)
    args = parser.parse_args()
    truth = read_ivecs(args.groundtruth)
    hits = 0
    exact = 0
    queries = 0
    with open(args.results) as f:
        for line in f:
            result = json.loads(line)
            q = result["query"]
            want = {t + args.first_id for t in truth[q][: args.k]}
            got = set(result["ids"][: args.k])
            hits += len(want & got)
            exact += want == got
            queries += 1
    if queries == 0:
        sys.exit("no results")
    print(json.dumps({"queries": queries, "k": args.k, "recall": hits / (queries * args.k), "identical_top_k": exact}))


if __name__ == "__main__":
    main()
