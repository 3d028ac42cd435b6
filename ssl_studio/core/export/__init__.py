"""Export of fine-tuned classifiers (TorchScript, ONNX, safetensors, model card) and predict."""
