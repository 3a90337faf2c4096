"""Running Triage: the job runtime, queue names, the RQ worker and `triage up`."""
