"""The audit log's review pages: the list, its CSV export, one event (settling a lost answer) and
the metrics Prometheus alerts on."""
