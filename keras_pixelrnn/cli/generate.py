"""`keras-pixelrnn sample` and `keras-pixelrnn complete`: images drawn from a model.

    keras-pixelrnn sample --model runs/small/model.keras --num 16 --seed 0 --out samples.png
    keras-pixelrnn complete --model runs/small/model.keras --images digits.npy --keep-rows 14 --out completions.png
    keras-pixelrnn sample --preset small --num 16 --out samples.png      # shipped weights

`--preset NAME` (instead of `--model`) runs a preset's pretrained weights
shipped in the package; a preset without them is an error (exit 2).
"""

import time

from keras_pixelrnn.cli.common import add_model_arguments, binarize_for, model_from


def register(commands):
    p = commands.add_parser("sample", help="draw images")
    add_model_arguments(p)
    p.add_argument("--num", type=int, default=16)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--method", choices=("cached", "naive"), default="cached")
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--out", required=True, help="a .png grid or a .npy of uint8 images")
    p.set_defaults(run=sample)

    p = commands.add_parser("complete", help="complete the bottom of images")
    add_model_arguments(p)
    p.add_argument("--images", required=True, help="a dataset name, .npy/.npz file or image folder")
    p.add_argument("--split", default="train")
    p.add_argument("--num", type=int, default=8)
    p.add_argument("--keep-rows", type=int, required=True)
    p.add_argument("--binarize", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--method", choices=("cached", "naive"), default="cached")
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--out", required=True, help="a .png: originals, occluded inputs, completions")
    p.set_defaults(run=complete)


def _write_images(images, path, levels, scale=4):
    from keras_pixelrnn.utils.image_grid import grid, write_npy, write_png

    if path.endswith(".npy"):
        write_npy(images, path)
    elif path.endswith(".png"):
        write_png(grid(images, levels), path, scale=scale)
    else:
        raise SystemExit(f"error: --out {path!r} must end in .png or .npy")


def sample(args):
    from keras_pixelrnn.utils.image_checks import model_levels
    from keras_pixelrnn.generation.sampling import sample as draw

    if not (args.out.endswith(".png") or args.out.endswith(".npy")):
        raise SystemExit(f"error: --out {args.out!r} must end in .png or .npy")
    model = model_from(args)
    start = time.time()
    images = draw(model, args.num, seed=args.seed, temperature=args.temperature,
                  method=args.method, progress=True)
    print(f"sampled {args.num} images ({args.method}) in {time.time() - start:.1f} s")
    _write_images(images, args.out, model_levels(model))
    print(f"wrote {args.out}")
    return 0


def complete(args):
    import numpy as np

    from keras_pixelrnn import data
    from keras_pixelrnn.utils.image_grid import grid, write_png
    from keras_pixelrnn.utils.image_checks import model_levels
    from keras_pixelrnn.generation.sampling import complete as fill

    if not args.out.endswith(".png"):
        raise SystemExit(f"error: --out {args.out!r} must end in .png")
    model = model_from(args)
    shape, levels = tuple(model.input_shape[1:]), model_levels(model)
    images = data.load_images(
        args.images, split=args.split, image_shape=shape, levels=levels,
        binarize=binarize_for(levels, args), limit=args.num,
    )
    completed = fill(model, images, keep_rows=args.keep_rows, seed=args.seed,
                     temperature=args.temperature, method=args.method, progress=True)
    occluded = images.copy()
    occluded[:, args.keep_rows:] = 0
    # One column per image: original, occluded input, completion.
    rows = np.concatenate([images, occluded, completed])
    write_png(grid(rows, levels, columns=len(images)), args.out, scale=4)
    print(f"wrote {args.out}")
    return 0
