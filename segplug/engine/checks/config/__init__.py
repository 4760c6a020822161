"""The config check: keys and types no part accepts, num_classes against
the data, parts that cannot train at batch size 1."""
