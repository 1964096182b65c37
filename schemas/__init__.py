"""Versioned pydantic models: the extraction contract and the reviewed gold."""

from schemas.extraction import (
    SCHEMA_VERSION,
    Action,
    Axis,
    BBox,
    ContractExtraction,
    ContractInfo,
    DocumentInfo,
    ExtractionWarning,
    Objective,
    PartnerMention,
    PublicMention,
)
from schemas.gold import Gold

__all__ = [
    "SCHEMA_VERSION",
    "Action",
    "Axis",
    "BBox",
    "ContractExtraction",
    "ContractInfo",
    "DocumentInfo",
    "ExtractionWarning",
    "Gold",
    "Objective",
    "PartnerMention",
    "PublicMention",
]
