"""The report protocol, as the trusted parent reads it: which records are accepted, and how
their text is made safe to show.

The worker (``_worker.py``) writes one JSON object per line on its report pipe.  Student code
runs in that process and can write to the pipe too, so nothing here trusts a line: a record
is accepted only with exactly the shape the worker writes for its ``"t"`` (:func:`well_formed`),
and every text field is escaped before it can reach feedback, terminals or ``junit.xml``
(:func:`printable_record`).
"""

from __future__ import annotations

from typing import Any


def well_formed(record: Any) -> bool:
    """True when ``record`` has exactly the shape ``_worker.py`` writes for its ``"t"``.

    Student code can write to the report pipe too (its descriptor is inherited), so every
    line is checked here before the runner indexes into it: a wrong type must be dropped,
    not crash the grader.
    """
    if not isinstance(record, dict) or not isinstance(record.get("t"), str):
        return False
    kind = record["t"]
    if kind in ("ready", "done"):
        return True
    if kind == "batch_done":
        return _is_int(record.get("batch"))
    if kind == "violation":
        return all(isinstance(record.get(k), str) for k in ("kind", "detail", "phase"))
    if kind == "load_error" and record.get("type") == "MissingFunction":
        return isinstance(record.get("message"), str)
    if kind == "result" and not _is_int(record.get("id")):
        return False
    if kind == "result" and "value" in record:
        return _is_value(record["value"])
    if kind in ("result", "load_error", "warning"):
        raised, where = record.get("raised"), record.get("where")
        return (
            _is_str_list(raised)
            and bool(raised)
            and _is_str_list(where)
            and isinstance(record.get("message"), str)
            and (kind == "result" or _is_int(record.get("cell")))
        )
    return False


def printable(text: str) -> str:
    """``text`` with control, format and line-separator characters shown as escapes.

    Messages and exception class names come from student code and end up in feedback files,
    terminals and ``junit.xml``: a NUL makes the XML unparseable for the whole cohort, a
    newline followed by a code fence breaks out of the Markdown feedback, ANSI escapes
    repaint the instructor's terminal, and bidirectional overrides disguise text.
    """
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def printable_record(record: dict[str, Any]) -> dict[str, Any]:
    """A well-formed record with every text field made :func:`printable` (not the value,
    which is data compared with the reference and always shown through ``repr``)."""
    if record.keys() == _PLAIN_RESULT and record["t"] == "result" and _is_int(record["id"]):
        return record  # a call's value: no text in it to escape

    def clean(item: Any) -> Any:
        if isinstance(item, str):
            return printable(item)
        if isinstance(item, list):
            return [clean(v) for v in item]
        return item

    return {key: item if key == "value" else clean(item) for key, item in record.items()}


_PLAIN_RESULT = {"t", "id", "value"}  # the record of almost every call: no text to escape


def _is_int(value: Any) -> bool:
    return type(value) is int


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _is_value(value: Any, depth: int = 0) -> bool:
    """A value as the worker's encoder writes it (no floats; dicts only as $b / $repr)."""
    if depth > 16:  # the encoder stops at depth 8
        return False
    if value is None or type(value) in (bool, int, str):
        return True
    if isinstance(value, list):
        return all(_is_value(v, depth + 1) for v in value)
    if isinstance(value, dict) and len(value) == 1:
        if isinstance(value.get("$repr"), str):
            return True
        hex_text = value.get("$b")
        if isinstance(hex_text, str):
            try:
                bytes.fromhex(hex_text)
            except ValueError:
                return False
            return True
    return False
