#!/usr/bin/env python3
"""Scores `fmdb recognize --json` output against the true labels: accuracy, chance level, and the
confidence of right and wrong answers."""
import json
import statistics
import sys


def main():
    results_path, labels_path = sys.argv[1], sys.argv[2]
    truth = dict(line.rstrip("\n").split("\t") for line in open(labels_path) if line.strip())
    rows = [json.loads(line) for line in open(results_path) if line.strip()]
    right, wrong, unrecognized = [], [], 0
    right_scores, wrong_scores = [], []
    for row in rows:
        expected = truth.get(row["file"])
        if row.get("label") is None:
            unrecognized += 1
        elif row["label"] == expected:
            right.append(row["confidence"])
            right_scores.append(row.get("score", 0))
        else:
            wrong.append(row["confidence"])
            wrong_scores.append(row.get("score", 0))
    total = len(rows)
    labels = set(truth.values())
    print(f"accuracy on unseen voices: {len(right)}/{total} = {len(right) / total:.3f} "
          f"(chance {1 / len(labels):.3f}; {unrecognized} not recognized)")
    if right and wrong:
        print(f"confidence: mean {statistics.mean(right):.3f} when right, {statistics.mean(wrong):.3f} when wrong; "
              f"raw score mean {statistics.mean(right_scores):.3f} vs {statistics.mean(wrong_scores):.3f}")
    elif right:
        print(f"confidence: median {statistics.median(right):.3f} when right (no wrong answers)")


if __name__ == "__main__":
    main()
