#!/usr/bin/env python3
"""Grow a real embedding set to N rows, with exact ground truth for its queries.

usage: tools/grow-set.py BASE.fvecs QUERY.fvecs OUTDIR --n 62000 [--metric cosine|l2|ip] [--k 100] [--seed 1]

The first rows are BASE as it is; each added row is a blend of two random base rows
(0.55–0.85 of one, the rest of the other) plus Gaussian noise of a tenth of the rows'
typical spread, renormalized for cosine — new points that lie among the real ones rather
than in clusters of their own. Writes OUTDIR/base.fvecs, OUTDIR/query.fvecs (QUERY copied)
and OUTDIR/groundtruth.ivecs (the k nearest rows of each query, best first, exact).
Needs numpy.
"""
import argparse
import os
import sys

import numpy as np


def read_fvecs(path):
    raw = np.fromfile(path, dtype=np.int32)
    if raw.size == 0:
        sys.exit(f"{path}: empty")
    dim = int(raw[0])
    if dim <= 0 or raw.size % (dim + 1):
        sys.exit(f"{path}: not an fvecs file")
    return raw.reshape(-1, dim + 1)[:, 1:].view(np.float32).copy()


def write_vecs(path, rows, dtype):
    rows = np.ascontiguousarray(rows, dtype=dtype)
    header = np.full((rows.shape[0], 1), rows.shape[1], dtype=np.int32)
    np.hstack([header, rows.view(np.int32)]).tofile(path)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("queries")
    parser.add_argument("outdir")
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--metric", default="cosine", choices=["cosine", "l2", "ip"])
    parser.add_argument("--k", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    base, queries = read_fvecs(args.base), read_fvecs(args.queries)
    if base.shape[1] != queries.shape[1]:
        sys.exit("base and queries differ in dimension")
    rng = np.random.default_rng(args.seed)
    extra = max(0, args.n - base.shape[0])
    first = rng.integers(0, base.shape[0], extra)
    second = rng.integers(0, base.shape[0], extra)
    share = rng.uniform(0.55, 0.85, (extra, 1)).astype(np.float32)
    spread = float(np.std(base))
    grown = share * base[first] + (1 - share) * base[second]
    grown += rng.normal(0, spread / 10, grown.shape).astype(np.float32)
    if args.metric == "cosine":
        grown /= np.linalg.norm(grown, axis=1, keepdims=True)
    rows = np.vstack([base[: args.n], grown]).astype(np.float32)
    os.makedirs(args.outdir, exist_ok=True)
    write_vecs(os.path.join(args.outdir, "base.fvecs"), rows, np.float32)
    write_vecs(os.path.join(args.outdir, "query.fvecs"), queries, np.float32)
    if args.metric == "cosine":
        unit = rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-30)
        q = queries / np.maximum(np.linalg.norm(queries, axis=1, keepdims=True), 1e-30)
        scores = -(q @ unit.T)
    elif args.metric == "ip":
        scores = -(queries @ rows.T)
    else:
        scores = (queries**2).sum(1)[:, None] - 2 * queries @ rows.T + (rows**2).sum(1)[None, :]
    k = min(args.k, rows.shape[0])
    top = np.argpartition(scores, k - 1, axis=1)[:, :k]
    order = np.take_along_axis(scores, top, axis=1).argsort(axis=1)
    truth = np.take_along_axis(top, order, axis=1).astype(np.int32)
    write_vecs(os.path.join(args.outdir, "groundtruth.ivecs"), truth.view(np.float32), np.float32)
    print(f"{rows.shape[0]} rows × {rows.shape[1]}, {queries.shape[0]} queries, top {k} → {args.outdir}")


if __name__ == "__main__":
    main()
