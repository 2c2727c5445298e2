"""Records -> DataFrames; KPI functions; time-weighted accumulation (no SimPy here)."""
