"""The report pipeline: site definition -> papermill -> HTML site with provenance."""
