"""Training: the recipe, callbacks that survive a kill mid-write, and
distributed training (`distribute`: strategies and TF_CONFIG; `loop`: the
multi-worker training loop; `launch`: N workers on this machine)."""
