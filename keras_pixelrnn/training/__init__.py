"""Training helpers for `model.fit`: callbacks that survive a kill mid-write."""
