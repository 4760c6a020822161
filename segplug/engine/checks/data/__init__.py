"""The data check: paths, then every sample's files decoded (in parallel,
cached), problems reported in one line; once per distributed run."""
