"""cnai_helpers: the logic behind cnai's notebooks (data pull, registry parsing, reports)."""

import sys

__version__ = "0.2.0"

# jsonschema (through nbformat, papermill and nbclient) imports rfc3987-syntax when installed,
# which compiles about 35 Earley grammars at import: ~1.8 s of CPU in every process that reads
# a notebook (each report worker, each command), for the `iri` string formats that no schema
# these processes validate (nbformat's) declares (python-jsonschema/jsonschema#1428). Marked as
# absent before jsonschema is first imported, jsonschema simply leaves those two formats
# unchecked, as it does when the package is not installed; a process that imported jsonschema
# first keeps it.
if "jsonschema" not in sys.modules:
    sys.modules.setdefault("rfc3987_syntax", None)
