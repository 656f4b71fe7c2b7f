#!/usr/bin/env bash
# The main job end to end: synthesize spoken digits with espeak-ng in several voices, speeds and
# pitches; learn them from some voices; calibrate confidence on held-out voices; recognize voices
# the store has never heard; print accuracy, the calibration error on those voices, the confidence
# table, latencies and the store's size, beside a plain baseline (13 MFCCs pooled by mean and
# deviation, z-scored, 1-nearest-neighbour). Then the same for 24 command words spoken in accents
# and voices never heard in training (tools/make-speech-set.sh).
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
for set in train calibrate test; do label_list "$work/$set" > "$work/$set.tsv"; done

run() {  # name extractor set-directory: learn train.tsv, calibrate on calibrate.tsv, recognize test.tsv
    local name=$1 extractor=$2 dir=$3 store="$3/store-$1"
    rm -rf "$store"
    "$fmdb" learn "$store" --examples "$dir/train.tsv" --extractor "$extractor" >/dev/null
    "$fmdb" calibrate "$store" --examples "$dir/calibrate.tsv" > "$dir/calibration-$name.txt"
    mapfile -t files < <(cut -f1 "$dir/test.tsv")
    "$fmdb" recognize "$store" "${files[@]}" --json > "$dir/results-$name.jsonl" 2> "$dir/latency-$name.txt"
    echo
    echo "== $name ($extractor)"
    python3 "$here/tools/speech-score.py" "$dir/results-$name.jsonl" "$dir/test.tsv"
    cat "$dir/latency-$name.txt"
    "$fmdb" calibrate "$store" --examples "$dir/test.tsv" --report | head -1 | sed 's/^/on the unseen voices: /'
    echo "confidence table (calibration voices):"
    sed 's/^/  /' "$dir/calibration-$name.txt"
    echo "store: $(du -sh "$store" | cut -f1) on disk, $("$fmdb" patterns "$store" | tail -1)"
}
echo
echo "#### spoken digits"
run featurememory speech "$work"
run baseline baseline "$work"

echo
echo "#### command words: tools/make-speech-set.sh (24 words, every espeak-ng English accent and voice variant)"
bash "$here/tools/make-speech-set.sh" "$work/commands"
run featurememory speech "$work/commands"
run baseline baseline "$work/commands"
