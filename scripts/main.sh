#!/usr/bin/env bash
# The main job: train the small Diagonal BiLSTM preset on the offline MNIST
# digits (mnist_5k), measure it on the held-out digits, draw samples with the
# cached sampler and complete half-hidden digits. A few minutes on 2 CPU cores.
source "$(dirname "$0")/env.sh"
out="${1:-runs/quickstart}"
epochs="${EPOCHS:-3}"
keras-pixelrnn train --preset small --dataset mnist_5k --epochs "$epochs" --batch-size 32 --out "$out" --verbose 2
keras-pixelrnn evaluate --model "$out/model.keras" --dataset mnist_5k --json
keras-pixelrnn sample --model "$out/model.keras" --num 16 --seed 0 --out "$out/samples.png"
keras-pixelrnn complete --model "$out/model.keras" --images mnist_5k --split validation --num 8 --keep-rows 14 --seed 0 --out "$out/completions.png"
echo "Done: $out/model.keras, $out/samples.png, $out/completions.png (TensorBoard logs in $out/logs)"
