#!/usr/bin/env bash
# A harder speech set: command words (not digits) spoken by every English accent and every voice
# variant espeak-ng has, split by accent and by variant so that no test or calibration voice is
# heard in training. Each variant is given to one accent in turn (sorted names, round robin), so
# the three sets share neither accents nor variants; each clip gets its own speed and pitch drawn
# from --seed.
# usage: tools/make-speech-set.sh [--seed N] [--jobs N] WORKDIR
# writes WORKDIR/{train,calibrate,test}/*.wav and WORKDIR/{train,calibrate,test}.tsv (path<TAB>word)
set -euo pipefail
seed=1 jobs=$(nproc 2>/dev/null || echo 2) work=
while [ $# -gt 0 ]; do
    case $1 in
        --seed) seed=$2; shift 2;;
        --jobs) jobs=$2; shift 2;;
        -h|--help) sed -n 2,8p "$0" | sed 's/^# \{0,1\}//'; exit 0;;
        -*) echo "unknown option $1" >&2; exit 2;;
        *) work=$1; shift;;
    esac
done
[ -n "$work" ] || { echo "usage: tools/make-speech-set.sh [--seed N] [--jobs N] WORKDIR" >&2; exit 2; }
[[ $seed =~ ^[0-9]+$ && $jobs =~ ^[1-9][0-9]*$ ]] || { echo "--seed and --jobs take whole numbers" >&2; exit 2; }
command -v espeak-ng >/dev/null || { echo "espeak-ng is missing (make speech-deps installs it)" >&2; exit 1; }

words=(up down left right stop go yes no on off open close start pause play next back home menu cancel select help louder quiet)
# the accents espeak-ng itself speaks (the mbrola ones need voices Debian does not ship)
train_accents=(en-us en-gb en-gb-x-rp en-029)
calibration_accents=(en-us-nyc)
test_accents=(en-gb-scotland en-gb-x-gbclan en-gb-x-gbcwmd)
all_accents=("${train_accents[@]}" "${calibration_accents[@]}" "${test_accents[@]}")
for accent in "${all_accents[@]}"; do
    espeak-ng --voices=en | awk 'NR > 1 {print $2}' | grep -qx -- "$accent" || { echo "espeak-ng has no voice $accent" >&2; exit 1; }
done
mapfile -t variants < <(espeak-ng --voices=variant | awk 'NR > 1 {print $5}' | sed 's|^!v/||' | LC_ALL=C sort -u)
[ ${#variants[@]} -gt 0 ] || { echo "espeak-ng lists no voice variants" >&2; exit 1; }

set_of() {  # accent → train, calibrate or test
    local accent
    for accent in "${train_accents[@]}"; do [ "$accent" = "$1" ] && { echo train; return; }; done
    for accent in "${calibration_accents[@]}"; do [ "$accent" = "$1" ] && { echo calibrate; return; }; done
    echo test
}

rm -rf "$work"
mkdir -p "$work/train" "$work/calibrate" "$work/test"
RANDOM=$seed
jobfile="$work/jobs.txt"
: > "$jobfile"
for index in "${!variants[@]}"; do
    variant=${variants[$index]}
    accent=${all_accents[$((index % ${#all_accents[@]}))]}
    set=$(set_of "$accent")
    for word in "${words[@]}"; do
        speed=$((120 + RANDOM % 90)) pitch=$((25 + RANDOM % 50))
        file="$work/$set/${accent}+${variant}_${word}.wav"
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$accent+$variant" "$speed" "$pitch" "$file" "$word" "$set" >> "$jobfile"
    done
done
# espeak-ng starts in a few milliseconds: one process per clip, on every core
cut -f1-5 "$jobfile" | tr '\t' '\n' | xargs -d '\n' -n 5 -P "$jobs" sh -c 'espeak-ng -v "$0" -s "$1" -p "$2" -w "$3" "$4"'
for set in train calibrate test; do
    awk -F'\t' -v set="$set" '$6 == set {print $4 "\t" $5}' "$jobfile" > "$work/$set.tsv"
done
rm -f "$jobfile"
for set in train calibrate test; do
    [ -s "$work/$set.tsv" ] || { echo "no $set clips were made" >&2; exit 1; }
done
echo "made $(wc -l < "$work/train.tsv") training, $(wc -l < "$work/calibrate.tsv") calibration and $(wc -l < "$work/test.tsv") test clips of ${#words[@]} words from ${#variants[@]} voice variants"
echo "  train: ${train_accents[*]}; calibrate: ${calibration_accents[*]}; test: ${test_accents[*]} (accents and variants never in training)"
