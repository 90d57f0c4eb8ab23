"""The specs the Azure contract tests serve with steady, derived in a temporary folder from
the shared ones (never copied into the repository), each change said here:

- Azure's authoring spec, api-version 2024-10-21, as converted to OpenAPI 3 in
  ../shared/azure-api/ (paths under /openai, server "/"). Requests are checked against
  it unchanged. Its answers only: steady fills the required fields alone, and the spec
  makes `id` optional everywhere and a list's `data` too, so every id-less answer would
  end our calls as malformed before the next request; `id` and `data` are made required
  in the response schemas (they are in every answer Azure documents).
- OpenAI's spec for Azure's v1 API: the v1 paths are OpenAI's under /openai/v1/ (Azure's
  README, ../shared/azure-api/README.md), which steady cannot serve under a prefix of its
  own; so each path `/v1/...` is re-rooted as `/openai/v1/...`, nothing else changed.
"""

from __future__ import annotations

import json
from pathlib import Path



def _shared() -> Path:
    """../shared beside the repository; from a worktree nested deeper, the nearest one above."""
    for folder in Path(__file__).resolve().parents[2].parents:
        if (folder / "shared" / "azure-api").is_dir():
            return folder / "shared"
    return Path(__file__).resolve().parents[2].parent / "shared"


SHARED = _shared()
AZURE_AUTHORING = SHARED / "azure-api" / "azure-openai-authoring-2024-10-21.openapi3.openai-prefixed.json"
OPENAI = SHARED / "openai-api" / "openapi.v1.sse.json"
AUTHORING_VERSION = "2024-10-21"
_ANSWERED_WITH_IDS = ("File", "FineTuningJob", "FineTuningJobEvent", "FineTuningJobCheckpoint", "Model",
                      "FileDelete", "UploadResource")


def authoring_spec(folder: Path) -> Path:
    spec = json.loads(AZURE_AUTHORING.read_text(encoding="utf-8"))
    schemas = spec["components"]["schemas"]
    for name, schema in schemas.items():
        properties = schema.get("properties") or {}
        wanted = [key for key in ("id", "data") if key in properties and (key == "data" or name in _ANSWERED_WITH_IDS)]
        if wanted:
            schema["required"] = sorted(set(schema.get("required", [])) | set(wanted))
    path = folder / "azure-authoring-2024-10-21.answers-with-ids.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    return path


def v1_spec(folder: Path) -> Path:
    spec = json.loads(OPENAI.read_text(encoding="utf-8"))
    spec["paths"] = {("/openai" + path if path.startswith("/v1/") else path): item
                     for path, item in spec["paths"].items()}
    spec["servers"] = [{"url": "/"}]
    path = folder / "openai-spec-under-openai-v1.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    return path
