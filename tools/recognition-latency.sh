#!/usr/bin/env bash
# Recognition latency with many stored patterns, through `fmdb recognize` as users run it.
#
# Takes the store the speech demo learned (tools/speech-demo.sh, run first when missing), copies
# it, adds PATTERNS distractor patterns near the learned ones (each a learned pattern plus Gaussian
# noise, renormalized, under one of 1,000 other labels, keeping the learned pattern's frames, so
# every candidate is aligned as a learned one would be), then runs `fmdb recognize` on the demo's
# test clips RUNS times, each a fresh process on a store it has not opened before in that process
# (the page cache is warm, the node cache starts empty), and prints each run's latencies, the
# median p95 and the accuracy left among the distractors.
# usage: tools/recognition-latency.sh [DEMO_DIR] [PATTERNS] [RUNS]   (FMDB=path/to/fmdb)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
fmdb=${FMDB:-$here/.build/release/fmdb}
demo=${1:-$here/.demo-speech}
patterns=${2:-100000}
runs=${3:-5}

[ -d "$demo/store-featurememory" ] || bash "$here/tools/speech-demo.sh" "$demo" >/dev/null
work="$demo/scale-$patterns"
rm -rf "$work"
mkdir -p "$work"
"$fmdb" backup "$demo/store-featurememory" "$work/store" >/dev/null
"$fmdb" export "$work/store" "$work/learned.jsonl" >/dev/null
python3 - "$work/learned.jsonl" "$work/distractors.jsonl" "$patterns" <<'EOF'
import json, math, random, sys
learned = [json.loads(line) for line in open(sys.argv[1])]
count, rng = int(sys.argv[3]), random.Random(20261126)
with open(sys.argv[2], "w") as out:
    for i in range(count):
        base = learned[rng.randrange(len(learned))]
        v = [x + rng.gauss(0.0, 0.08) for x in base["vector"]]
        norm = math.sqrt(sum(x * x for x in v)) or 1.0
        row = {"id": 1_000_000_000 + i, "label": f"other-{i % 1000}", "vector": [round(x / norm, 6) for x in v]}
        if "user_data" in base:
            row["user_data"] = base["user_data"]
        out.write(json.dumps(row) + "\n")
EOF
start=$(date +%s)
"$fmdb" import "$work/store" "$work/distractors.jsonl" --durability no-sync --batch-size 10000 >/dev/null
echo "store: $("$fmdb" patterns "$work/store" | tail -1), imported $patterns distractors in $(( $(date +%s) - start )) s"

for file in "$demo"/test/*.wav; do
    word=$(basename "$file" .wav | awk -F_ '{print $(NF-2)}')
    printf '%s\t%s\n' "$file" "$word"
done > "$work/test.tsv"
for run in $(seq "$runs"); do
    "$fmdb" recognize "$work/store" "$demo"/test/*.wav --json --no-result-cache > "$work/results-$run.jsonl" 2> "$work/latency-$run.txt"
    echo "run $run: $(tail -1 "$work/latency-$run.txt")"
done
grep -ho 'recognition p50 [0-9.]* ms p95 [0-9.]* ms' "$work"/latency-*.txt | awk '{print $6}' | sort -n |
    awk '{a[NR] = $1} END {printf "median recognition p95 over %d runs: %.3f ms\n", NR, (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'
python3 "$here/tools/speech-score.py" "$work/results-$runs.jsonl" "$work/test.tsv" | head -3
