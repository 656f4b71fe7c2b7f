#!/usr/bin/env python3
"""Make a synthetic clustered vector set: base and query fvecs, and exact ground truth.

usage: tools/make-synthetic.py OUTDIR [--n 10000] [--queries 100] [--dim 64]
                               [--clusters 50] [--spread 0.3] [--precision 32|16|8]
                               [--metric l2|cosine|ip] [--k 100] [--seed 1]

Vectors are Gaussian clusters (cluster centres ~ N(0, 1), points ~ centre + N(0, spread²)).
--precision 16 rounds every value to float16 and 8 to 8 significant bits (feature
extractors often carry no more), which is what makes records compressible.
Writes OUTDIR/base.fvecs, OUTDIR/query.fvecs and, when numpy is present,
OUTDIR/groundtruth.ivecs (the k nearest base rows of each query, best first).
"""
import argparse
import os
import random
import struct
import sys


def round_to_bits(x, bits):
    if bits >= 32 or x == 0.0:
        return x
    if bits == 16:
        return struct.unpack("<e", struct.pack("<e", x))[0]
    # keep `bits` significant bits of the float32 mantissa
    (u,) = struct.unpack("<I", struct.pack("<f", x))
    drop = 24 - bits
    u = (u + (1 << (drop - 1))) & ~((1 << drop) - 1) & 0xFFFFFFFF
    return struct.unpack("<f", struct.pack("<I", u))[0]


def make(n, dim, centres, spread, bits, rng, normalize):
    rows = []
    for _ in range(n):
        c = centres[rng.randrange(len(centres))]
        v = [c[j] + rng.gauss(0.0, spread) for j in range(dim)]
        if normalize:
            norm = sum(x * x for x in v) ** 0.5 or 1.0
            v = [x / norm for x in v]
        rows.append([round_to_bits(x, bits) for x in v])
    return rows


def write_fvecs(path, rows):
    with open(path, "wb") as f:
        for v in rows:
            f.write(struct.pack(f"<i{len(v)}f", len(v), *v))


def write_ivecs(path, rows):
    with open(path, "wb") as f:
        for r in rows:
            f.write(struct.pack(f"<i{len(r)}i", len(r), *r))


def ground_truth(base, queries, k, metric):
    try:
        import numpy as np
    except ImportError:
        print("numpy not found: no ground truth written", file=sys.stderr)
        return None
    b = np.asarray(base, dtype=np.float32)
    q = np.asarray(queries, dtype=np.float32)
    k = min(k, len(base))
    out = []
    for start in range(0, len(q), 256):
        block = q[start:start + 256]
        if metric == "l2":
            d = (block * block).sum(1)[:, None] - 2 * block @ b.T + (b * b).sum(1)[None, :]
        elif metric == "cosine":
            bn = b / np.linalg.norm(b, axis=1, keepdims=True)
            qn = block / np.linalg.norm(block, axis=1, keepdims=True)
            d = 1 - qn @ bn.T
        else:
            d = 1 - block @ b.T
        idx = np.argpartition(d, k - 1, axis=1)[:, :k]
        for row, cand in zip(d, idx):
            out.append(cand[np.argsort(row[cand], kind="stable")].tolist())
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("outdir")
    p.add_argument("--n", type=int, default=10000)
    p.add_argument("--queries", type=int, default=100)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--clusters", type=int, default=50)
    p.add_argument("--spread", type=float, default=0.3)
    p.add_argument("--precision", type=int, choices=[32, 16, 8], default=32)
    p.add_argument("--metric", choices=["l2", "cosine", "ip"], default="l2")
    p.add_argument("--k", type=int, default=100)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    rng = random.Random(a.seed)
    centres = [[rng.gauss(0.0, 1.0) for _ in range(a.dim)] for _ in range(a.clusters)]
    normalize = a.metric != "l2"
    base = make(a.n, a.dim, centres, a.spread, a.precision, rng, normalize)
    queries = make(a.queries, a.dim, centres, a.spread, a.precision, rng, normalize)
    os.makedirs(a.outdir, exist_ok=True)
    write_fvecs(os.path.join(a.outdir, "base.fvecs"), base)
    write_fvecs(os.path.join(a.outdir, "query.fvecs"), queries)
    gt = ground_truth(base, queries, a.k, a.metric)
    if gt is not None:
        write_ivecs(os.path.join(a.outdir, "groundtruth.ivecs"), gt)
    print(f"wrote {a.n} base and {a.queries} query vectors of dimension {a.dim} "
          f"({a.precision}-bit values) to {a.outdir}")


if __name__ == "__main__":
    main()
