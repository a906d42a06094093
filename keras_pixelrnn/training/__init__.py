"""Training: the recipe (`recipe`: a run's checked settings, the schedule,
weight averaging, the best epoch), one run of it into a run folder (`run`),
callbacks that survive a kill mid-write, and distributed training
(`distribute`: strategies and TF_CONFIG; `loop`: the multi-worker training
loop; `launch`: N workers on this machine)."""
