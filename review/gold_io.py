"""Gold files as the review page edits them: extraction -> editable tree, tree -> validated gold.yaml written
with its comments kept (ruamel round-trip), reviewer and date recorded in provenance.yaml. Pure functions apart
from the two file writes at the end."""

from __future__ import annotations

import io
import os
import threading
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from schemas.extraction import ContractExtraction
from schemas.gold import Gold

ITEM_KEYS = {  # key order in gold.yaml, per list
    "axes": ("number", "title", "page", "themes"),
    "objectives": ("number", "title", "axis", "page"),
    "actions": ("number", "title", "axis", "objective", "page", "years", "sheet", "themes", "publics", "partners"),
}
CONTRACT_KEYS = ("document_kind", "territory", "period_start", "period_end", "signed_on", "declared_axes",
                 "declared_actions")


class GoldRejected(ValueError):
    """An edit that does not validate: `problems` maps a field location ("actions.3.title") to a message."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))


def _yaml() -> YAML:
    y = YAML()
    y.preserve_quotes = True
    y.width = 120
    y.indent(mapping=2, sequence=4, offset=2)
    return y


def extraction_to_gold(x: ContractExtraction) -> dict[str, Any]:
    """A machine extraction in gold form: the starting point of a review when a document has no gold yet."""
    c = x.contract
    return {
        "contract": {k: getattr(c, k) for k in CONTRACT_KEYS},
        "axes": [{"number": a.number, "title": a.title, "page": a.page, "themes": [t.code for t in a.themes]}
                 for a in x.axes],
        "objectives": [{"number": o.number, "title": o.title, "axis": o.axis, "page": o.page} for o in x.objectives],
        "actions": [{"number": a.number, "title": a.title, "axis": a.axis, "objective": a.objective, "page": a.page,
                     "years": list(a.years), "themes": [t.code for t in a.themes], "publics": list(a.publics),
                     "partners": list(a.partners)} for a in x.actions],
    }


def read_gold(path: Path) -> dict[str, Any]:
    """gold.yaml as plain data (with `_id` = list index on each item, so that saving keeps its comments)."""
    data = _yaml().load(path.read_text(encoding="utf-8")) or {}
    out: dict[str, Any] = {"contract": dict(data.get("contract") or {})}
    for key in ITEM_KEYS:
        out[key] = [{**_plain(item), "_id": i} for i, item in enumerate(data.get(key) or [])]
    return _plain(out)  # type: ignore[no-any-return]


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _shape(tree: Any) -> None:
    """GoldRejected unless the tree is a mapping of `contract` (a mapping) and lists of mappings."""
    if not isinstance(tree, dict):
        raise GoldRejected({"tree": "expected a mapping"})
    if not isinstance(tree.get("contract") or {}, dict):
        raise GoldRejected({"contract": "expected a mapping"})
    for key in ITEM_KEYS:
        items = tree.get(key) or []
        if not isinstance(items, list):
            raise GoldRejected({key: "expected a list"})
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise GoldRejected({f"{key}.{i}": "expected a mapping"})
            if "_id" in item and item["_id"] is not None and not isinstance(item["_id"], int):
                raise GoldRejected({f"{key}.{i}._id": "expected an integer"})
    unknown = set(tree) - {"contract", *ITEM_KEYS}
    if unknown:
        raise GoldRejected({k: "unknown key" for k in sorted(map(str, unknown))})


def validate(tree: dict[str, Any]) -> Gold:
    """The edited tree as Gold, or GoldRejected naming each field that is wrong and why."""
    _shape(tree)
    clean = {"contract": tree.get("contract") or {},
             **{k: [{f: v for f, v in item.items() if not f.startswith("_")} for item in tree.get(k) or []]
                for k in ITEM_KEYS}}
    try:
        return Gold.model_validate(clean)
    except ValidationError as exc:
        problems = {}
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "gold"
            problems[where] = err["msg"].removeprefix("Value error, ")
        raise GoldRejected(problems) from None


def _item_node(old: CommentedMap | None, item: dict[str, Any], keys: tuple[str, ...]) -> CommentedMap:
    node = old if old is not None else CommentedMap()
    for k in list(node.keys()):
        if k in keys and k not in item:
            del node[k]
    for k in keys:
        if k not in item:
            continue
        value = item[k]
        if k in ("themes", "publics", "partners", "years") and isinstance(value, list):
            seq = CommentedSeq(value)
            seq.fa.set_flow_style()
            value = seq
        node[k] = value
    return node


def write_gold(path: Path, tree: dict[str, Any]) -> Gold:
    """Validate the edited tree and write gold.yaml: items keep their comments (matched by `_id`), keys in a
    fixed order, list fields in flow style."""
    gold = validate(tree)
    y = _yaml()
    data = y.load(path.read_text(encoding="utf-8")) if path.exists() else CommentedMap()
    if data is None:
        data = CommentedMap()
    contract = data.get("contract") if isinstance(data.get("contract"), CommentedMap) else CommentedMap()
    for k in CONTRACT_KEYS:
        value = (tree.get("contract") or {}).get(k)
        if k == "signed_on" and isinstance(value, str) and value:
            value = date.fromisoformat(value)
        contract[k] = value
    data["contract"] = contract
    for key, keys in ITEM_KEYS.items():
        old_items = list(data.get(key) or [])
        seq = CommentedSeq()
        for item in tree.get(key) or []:
            old = old_items[item["_id"]] if isinstance(item.get("_id"), int) and item["_id"] < len(old_items) else None
            seq.append(_item_node(old, item, keys))
        data[key] = seq
    buf = io.StringIO()
    y.dump(data, buf)
    _replace(path, buf.getvalue())
    return gold


def _replace(path: Path, text: str) -> None:
    """Write `path` whole or not at all: a temporary file beside it, flushed, then renamed over it (readers
    and a killed writer never see half a file)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def record_review(provenance: Path, reviewer: str, reviewed: bool, today: date | None = None) -> None:
    """Reviewer and date in provenance.yaml; `review_status` reviewed or machine (saved but not marked)."""
    y = _yaml()
    data = y.load(provenance.read_text(encoding="utf-8")) if provenance.exists() else CommentedMap()
    data = data if data is not None else CommentedMap()
    data["review_status"] = "reviewed" if reviewed else "machine"
    if reviewed:
        data["reviewer"] = reviewer
        data["reviewed_on"] = today or date.today()
    buf = io.StringIO()
    y.dump(data, buf)
    _replace(provenance, buf.getvalue())
