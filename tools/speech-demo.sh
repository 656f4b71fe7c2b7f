#!/usr/bin/env bash
# The main job end to end: synthesize spoken digits with espeak-ng in several voices, speeds and
# pitches; learn them from some voices; calibrate confidence on held-out voices; recognize voices
# the store has never heard; print accuracy, the confidence table, latencies and the store's size,
# beside a plain baseline (13 MFCCs pooled by mean and deviation, z-scored, 1-nearest-neighbour).
# usage: tools/speech-demo.sh [WORKDIR]   (FMDB=path/to/fmdb to use another binary)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
fmdb=${FMDB:-$here/.build/release/fmdb}
work=${1:-$here/.demo-speech}
words=(zero one two three four five six seven eight nine)
train_voices=(en-us en-gb en-gb-x-rp en-us+f2 en-gb+m3 en+f4)
calibration_voices=(en-029 en-us+m7)
test_voices=(en-gb-scotland en-gb-x-gbclan en-gb-x-gbcwmd+f3 en-us+m4 en+f1)
speeds=(130 175)
pitches=(35 65)

command -v espeak-ng >/dev/null || { echo "espeak-ng is missing (make demo installs it)" >&2; exit 1; }
rm -rf "$work"
mkdir -p "$work/train" "$work/calibrate" "$work/test"

synthesize() {  # set voice
    local set=$1 voice=$2 word speed pitch
    for word in "${words[@]}"; do
        for speed in "${speeds[@]}"; do
            for pitch in "${pitches[@]}"; do
                espeak-ng -v "$voice" -s "$speed" -p "$pitch" -w "$work/$set/${voice//+/_}_${word}_${speed}_${pitch}.wav" "$word"
            done
        done
    done
}
for voice in "${train_voices[@]}"; do synthesize train "$voice"; done
for voice in "${calibration_voices[@]}"; do synthesize calibrate "$voice"; done
for voice in "${test_voices[@]}"; do synthesize test "$voice"; done
echo "synthesized $(ls "$work/train" | wc -l) training, $(ls "$work/calibrate" | wc -l) calibration and $(ls "$work/test" | wc -l) test clips of ${#words[@]} words"
echo "  learn from: ${train_voices[*]}; calibrate on: ${calibration_voices[*]}; recognize: ${test_voices[*]} (never heard)"

label_list() {  # directory → lines "path<TAB>word"
    local file word
    for file in "$1"/*.wav; do
        word=$(basename "$file" .wav | awk -F_ '{print $(NF-2)}')
        printf '%s\t%s\n' "$file" "$word"
    done
}

run() {  # name extractor
    local name=$1 extractor=$2 store="$work/store-$1"
    label_list "$work/train" > "$work/train.tsv"
    label_list "$work/calibrate" > "$work/calibrate.tsv"
    "$fmdb" learn "$store" --examples "$work/train.tsv" --extractor "$extractor" >/dev/null
    "$fmdb" calibrate "$store" --examples "$work/calibrate.tsv" --extractor "$extractor" > "$work/calibration-$name.txt"
    "$fmdb" recognize "$store" "$work"/test/*.wav --json --extractor "$extractor" > "$work/results-$name.jsonl" 2> "$work/latency-$name.txt"
    label_list "$work/test" > "$work/test.tsv"
    echo
    echo "== $name ($extractor)"
    python3 "$here/tools/speech-score.py" "$work/results-$name.jsonl" "$work/test.tsv"
    cat "$work/latency-$name.txt"
    echo "confidence table (calibration voices):"
    sed 's/^/  /' "$work/calibration-$name.txt"
    echo "store: $(du -sh "$store" | cut -f1) on disk, $("$fmdb" patterns "$store" | tail -1)"
}
run featurememory mfcc
run baseline baseline
