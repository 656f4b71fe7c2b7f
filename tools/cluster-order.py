#!/usr/bin/env python3
"""Reorder a vector set so that rows near each other in space are near each other in the file.

usage: tools/cluster-order.py SETDIR OUTDIR [--clusters 512] [--iterations 8] [--seed 1]

SETDIR holds base.fvecs, query.fvecs and groundtruth.ivecs (as tools/grow-set.py and
tools/make-synthetic.py write them). The rows of base.fvecs are grouped by spherical k-means
(cosine: each row normalized for the assignment only; the rows are written as they are), the
clusters chained greedily so that each is followed by the nearest centroid left, and the rows
written in that order. groundtruth.ivecs is renumbered to the new row numbers; query.fvecs is
copied. `fmdb import` of the result gives nodes in that order: an experiment on what node
locality does to a cold first query and to a store larger than memory (docs/benchmarks.md).
Needs numpy; holds the whole set in memory.
"""
import argparse
import os
import shutil
import sys

import numpy as np


def read_vecs(path, dtype):
    raw = np.fromfile(path, dtype=np.int32)
    if raw.size == 0:
        sys.exit(f"{path}: empty")
    dim = int(raw[0])
    if dim <= 0 or raw.size % (dim + 1):
        sys.exit(f"{path}: not a vecs file")
    return raw.reshape(-1, dim + 1)[:, 1:].view(dtype).copy()


def write_vecs(path, rows):
    n, dim = rows.shape
    out = np.empty((n, dim + 1), dtype=np.int32)
    out[:, 0] = dim
    out[:, 1:] = rows.view(np.int32)
    out.tofile(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("setdir")
    parser.add_argument("outdir")
    parser.add_argument("--clusters", type=int, default=512)
    parser.add_argument("--iterations", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    base = read_vecs(os.path.join(args.setdir, "base.fvecs"), np.float32)
    truth = read_vecs(os.path.join(args.setdir, "groundtruth.ivecs"), np.int32)
    if not 1 <= args.clusters <= len(base):
        sys.exit(f"--clusters must be 1…{len(base)}")
    norms = np.linalg.norm(base, axis=1, keepdims=True)
    unit = base / np.where(norms > 0, norms, 1)
    random = np.random.default_rng(args.seed)
    centroids = unit[random.choice(len(unit), args.clusters, replace=False)]
    for _ in range(args.iterations):
        assigned = np.argmax(unit @ centroids.T, axis=1)
        for j in range(args.clusters):
            members = unit[assigned == j]
            if len(members):
                mean = members.mean(axis=0)
                length = np.linalg.norm(mean)
                if length > 0:
                    centroids[j] = mean / length
    assigned = np.argmax(unit @ centroids.T, axis=1)
    # the clusters in a chain: each followed by the nearest centroid not yet placed
    chain, left = [0], set(range(1, args.clusters))
    while left:
        candidates = np.array(sorted(left))
        following = int(candidates[np.argmax(centroids[candidates] @ centroids[chain[-1]])])
        chain.append(following)
        left.remove(following)
    rank = np.empty(args.clusters, dtype=np.int64)
    rank[np.array(chain)] = np.arange(args.clusters)
    order = np.lexsort((np.arange(len(base)), rank[assigned]))  # new row -> old row
    new_row = np.empty_like(order)
    new_row[order] = np.arange(len(order))
    os.makedirs(args.outdir, exist_ok=True)
    write_vecs(os.path.join(args.outdir, "base.fvecs"), base[order])
    write_vecs(os.path.join(args.outdir, "groundtruth.ivecs"), new_row[truth].astype(np.int32))
    shutil.copy(os.path.join(args.setdir, "query.fvecs"), os.path.join(args.outdir, "query.fvecs"))
    print(f"{len(base)} rows in {args.clusters} clusters -> {args.outdir}")


if __name__ == "__main__":
    main()
