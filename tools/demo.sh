#!/usr/bin/env bash
# The main job of `make demo`: import a vector set into a store, inspect it, search it,
# change it, verify it — printing what each step did.
# usage: tools/demo.sh STORE_DIR [DATA_DIR]
# DATA_DIR holds base.fvecs, query.fvecs (and optionally base-names.txt, groundtruth.ivecs);
# without it a synthetic clustered set is generated.
set -euo pipefail
store=${1:-.demo-store}
data=${2:-}
here=$(cd "$(dirname "$0")/.." && pwd)
fmdb="$here/.build/release/fmdb"
[ -x "$fmdb" ] || { echo "build first: make build" >&2; exit 1; }

step() { printf '\n== %s\n' "$*"; }

if [ -z "$data" ] || [ ! -f "$data/base.fvecs" ]; then
    data=$(mktemp -d)
    trap 'rm -rf "$data"' EXIT
    step "no real embeddings found: generating 10,000 synthetic 64-d vectors in $data"
    python3 "$here/tools/make-synthetic.py" "$data" --n 10000 --queries 100 --dim 64 --metric cosine
fi

rm -rf "$store"
step "import $data/base.fvecs into $store (cosine)"
"$fmdb" import "$store" "$data/base.fvecs" --metric cosine

step "info"
"$fmdb" info "$store"

step "stats"
"$fmdb" stats "$store"

step "the 5 nearest neighbours of the first 3 queries: through the graph, then exhaustively"
head -c $(( 3 * ($(od -An -t d4 -N4 "$data/query.fvecs") * 4 + 4) )) "$data/query.fvecs" > "$store.queries.fvecs"
"$fmdb" search "$store" --queries "$store.queries.fvecs" --k 5 --ef 64
"$fmdb" search "$store" --queries "$store.queries.fvecs" --k 5 --exact
rm -f "$store.queries.fvecs"

if [ -f "$data/base-names.txt" ]; then
    step "what the neighbours are: the 6 nearest to row 0 ($(sed -n 1p "$data/base-names.txt"))"
    "$fmdb" search "$store" --id 0 --k 6 --json 2>/dev/null \
        | python3 -c 'import json,sys
names=open(sys.argv[1]).read().split("\n")
r=json.loads(sys.stdin.readline())
for i,d in zip(r["ids"],r["distances"]): print(f"  {names[i]:40s} {d:.4f}")' "$data/base-names.txt"
fi

if [ -f "$data/groundtruth.ivecs" ]; then
    step "graph search over all queries: recall@10 against the exact ground truth, speed per ef (one thread)"
    "$fmdb" bench "$store" --queries "$data/query.fvecs" --truth "$data/groundtruth.ivecs" --k 10 --ef 16,32,64,128
fi

step "put a labelled vector, read it back, remove it"
dim=$("$fmdb" info "$store" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["dimension"])')
vector=$(python3 -c "print(','.join(str(0.5 if i % 2 else -0.25) for i in range($dim)))")
"$fmdb" put "$store" 999999999 --vector "$vector" --label demo
"$fmdb" ls "$store" --label demo
"$fmdb" rm "$store" 999999999

step "verify every record and index"
"$fmdb" verify "$store"

printf '\ndemo done: store %s (%s on disk)\n' "$store" "$(du -sh "$store" | cut -f1)"
