#!/usr/bin/env bash
# Builds the demo model from synthetic phantoms, step by step, each step skipped when its output exists:
#   1. training phantoms (seed demo-train: 40 studies of 20 patients, 20 slices, 128 px)
#   2. ich-ml train (InceptionV3, 75 px, batch 8, 3 epochs; checkpoint each epoch)
#   3. held-out phantoms from another seed (demo-test), never seen in training
#   4. ich-ml evaluate on them (JSON + ROC PNG)
# Resumable: run it again and training continues from the last finished epoch (--resume).
# Run from the repository root after `npm run build`; long, so: nice -n 15 packages/ml/scripts/demo-model.sh
set -euo pipefail
WORK=${WORK:-data/demo-model}
SIZE=${SIZE:-75}
BATCH=${BATCH:-8}
EPOCHS=${EPOCHS:-3}
ICH=(node packages/ml/dist/cli/main.js)
mkdir -p "$WORK"

if [ ! -f "$WORK/train/labels-rsna.csv" ]; then
  "${ICH[@]}" synth --out "$WORK/train" --studies 40 --studies-per-patient 2 --slices 20 --size 128 --seed demo-train
fi

resume=()
if [ -f "$WORK/model/training/checkpoint/checkpoint.json" ]; then resume=(--resume); fi
if [ ! -f "$WORK/model/card.json" ]; then
  "${ICH[@]}" train --data "$WORK/train" --labels "$WORK/train/labels-rsna.csv" --out "$WORK/model" \
    --epochs "$EPOCHS" --batch "$BATCH" --size "$SIZE" --lr 0.001 --oversample 3 --patience 3 --workers 1 \
    --seed demo --float16 "${resume[@]}" 2>&1 | tee -a "$WORK/train.log"
fi

if [ ! -f "$WORK/test/labels.csv" ]; then
  "${ICH[@]}" synth --out "$WORK/test" --studies 20 --slices 20 --size 128 --seed demo-test
fi
"${ICH[@]}" evaluate --model "$WORK/model" --data "$WORK/test" --labels "$WORK/test/labels.csv" \
  --roc "$WORK/heldout-roc.png" --json > "$WORK/heldout.json"
"${ICH[@]}" evaluate --model "$WORK/model" --data "$WORK/test" --labels "$WORK/test/labels.csv"
