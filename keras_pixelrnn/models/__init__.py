"""The PixelRNN model, its presets and its likelihood."""
