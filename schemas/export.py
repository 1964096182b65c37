"""Export the JSON Schema of the extraction contract: `python -m schemas.export [PATH]`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from schemas.extraction import ContractExtraction

SCHEMA_PATH = Path(__file__).parent / "contract_extraction.schema.json"


def json_schema_text() -> str:
    schema = ContractExtraction.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://clsdata.example/schemas/contract_extraction.schema.json"
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else SCHEMA_PATH
    path.write_text(json_schema_text(), encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
