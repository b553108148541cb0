"""Who-files enrichment rules and hand labels: below both the core tables and the analysis layer."""
