"""From stored mail to a lane: read, match, classify, route (the pipeline)."""
