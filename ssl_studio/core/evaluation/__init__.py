"""Evaluating representations: embeddings of items, kNN and (later) probes and fine-tuning."""
