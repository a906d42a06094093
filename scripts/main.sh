#!/usr/bin/env bash
# The main job, on 2 CPU cores and with no network:
#  1. the pretrained `mnist` model shipped in the package samples digits and
#     completes half-hidden ones (seconds, no training);
#  2. the small Diagonal BiLSTM preset trains on the offline MNIST digits
#     (mnist_5k), is scored on the held-out digits, samples and completes
#     (a few minutes).
source "$(dirname "$0")/env.sh"
out="${1:-runs/quickstart}"
epochs="${EPOCHS:-3}"
keras-pixelrnn sample --preset mnist --num 16 --seed 0 --out "$out/pretrained_samples.png"
keras-pixelrnn complete --preset mnist --images mnist_5k --split validation --num 8 --keep-rows 14 --seed 0 --out "$out/pretrained_completions.png"
keras-pixelrnn train --preset small --dataset mnist_5k --epochs "$epochs" --batch-size 32 --out "$out" --verbose 2
keras-pixelrnn evaluate --model "$out/model.keras" --dataset mnist_5k --json
keras-pixelrnn sample --model "$out/model.keras" --num 16 --seed 0 --out "$out/samples.png"
keras-pixelrnn complete --model "$out/model.keras" --images mnist_5k --split validation --num 8 --keep-rows 14 --seed 0 --out "$out/completions.png"
echo "Done: $out/pretrained_samples.png, $out/pretrained_completions.png (the shipped model);"
echo "      $out/model.keras, $out/samples.png, $out/completions.png (the model trained here; TensorBoard logs in $out/logs)"
