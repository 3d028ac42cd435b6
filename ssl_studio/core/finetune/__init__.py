"""Fine-tuning with few labels: protocols, the job, saved classifiers."""
