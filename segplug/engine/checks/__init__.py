"""What a run's tools check before its first iteration: the config
(:mod:`.config`) and the data (:mod:`.data`)."""
