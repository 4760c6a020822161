"""A trained model for inference: loading it, and the fast path."""
