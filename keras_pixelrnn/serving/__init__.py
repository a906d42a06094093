"""Serving a PixelRNN: TF Serving SavedModels and checked ONNX models."""
