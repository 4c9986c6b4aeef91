"""What a finished run tells its user: no silent success, and where the errors are.

- A run that wrote no document raises `NoDocumentsError`, one line naming the main reason
  (the reader's top skip reason, or the step that dropped the last documents and why) and
  what to do. The manifest is written first, so the run can still be looked at.
- A document whose step raised is a counted drop (`error:ValueError`); the first few
  tracebacks of each step and reason, over all tasks in task order, go to
  `.fruitstand/errors/NN-kind.txt`, which the manifest and the summary name.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fruitstand.step import KEEP_TRACEBACKS


class NoDocumentsError(RuntimeError):
    """The run finished but wrote no document; the message (one line) says why and what to do."""

    def __init__(self, message: str, manifest: dict[str, Any]):
        super().__init__(message)
        self.manifest = manifest


# What to do when the reader skipped everything, by its main skip reason (io/readers.py).
_READ_HINTS = {
    "not_html": "the web archives hold no HTML responses (WAT/metadata files, or only images and PDFs): "
                "give WARC files with HTML response records, or WET files",
    "not_http": "the web archives hold no HTTP responses: give WARC files with response records, or WET files",
    "empty_file": "the input files are empty: check the paths and that the files were fully downloaded",
    "corrupt_input": "the files are damaged or not the format their names say: look with `fruitstand read FILE`",
    "truncated_input": "the files end early (an interrupted download?): fetch them again",
    "malformed_record": "every record is damaged: look with `fruitstand read FILE`",
    "missing_text": "the records have no `text` field: give JSONL/Parquet whose text is under `text`, "
                    "or name the field that holds it (`fruitstand run --help`)",
    "empty_text": "every record's text is empty: check which field holds the text",
    "binary": "the files hold binary data where text was due: check the inputs",
    "binary_payload": "the HTML records hold no HTML (images, PDFs): give crawls of web pages",
    "bad_json": "the lines are not JSON: give JSON Lines (one object a line)",
    "not_utf8": "the text is not UTF-8: convert it (iconv -t UTF-8) first",
    "record_too_large": "every record is over the size limit: raise ReadLimits.max_record_bytes",
    "doc_timeout": "every document took longer than doc_timeout: raise doc_timeout",
}
_RECORD_TYPE_HINT = ("the web archives hold no response records (only requests, metadata, ...): "
                     "give WARC files with HTML response records, or WET files")


def _top(counts: dict[str, int]) -> tuple[str, int] | None:
    return max(counts.items(), key=lambda kv: (kv[1], kv[0])) if counts else None


def check_yield(manifest: dict[str, Any], output: str | Path) -> None:
    """Raise NoDocumentsError when the run wrote nothing."""
    if manifest["output"]["documents"] > 0:
        return
    read = manifest["read"]
    if read["documents"] == 0:
        # Records that are no page (request, metadata, warcinfo) are expected: name them only if alone.
        pages = {k: v for k, v in read["skipped"].items() if not k.startswith("record_type:")}
        top = _top(pages) or _top(read["skipped"])
        if top is None:
            why = f"the inputs hold no records ({read['records']} read)"
            hint = "check the paths and formats with `fruitstand read FILE`"
        else:
            why = f"the reader skipped all {read['records']:,} records, most as {top[0]} ({top[1]:,})"
            hint = (_RECORD_TYPE_HINT if top[0].startswith("record_type:")
                    else _READ_HINTS.get(top[0], "look at the manifest's read.skipped"))
        raise NoDocumentsError(f"no documents written to {output}: {why}: {hint}", manifest)
    before = read["documents"]
    for step in manifest["steps"]:
        if step["out"] == 0 and step["in"] > 0:
            top = _top(step["dropped"]) or ("?", step["in"])
            if top[0].startswith("error:"):
                where = step.get("tracebacks", ".fruitstand/errors/")
                hint = f"the step raised on every document: see the tracebacks in {Path(output) / where}"
            else:
                hint = (f"check step {step['kind']!r}'s parameters in the recipe "
                        "(`fruitstand steps` lists them and their defaults)")
            raise NoDocumentsError(
                f"no documents written to {output}: step {step['kind']!r} dropped all {step['in']:,} documents "
                f"of {before:,} read, most as {top[0]} ({top[1]:,}): {hint}", manifest)
    raise NoDocumentsError(f"no documents written to {output}: see its manifest.json", manifest)


def write_tracebacks(state: Path, kinds: list[str], task_results: list[dict[str, Any]]) -> dict[int, str]:
    """Keep the first tracebacks per step and reason; return step index -> path relative to the output."""
    kept: dict[int, dict[str, list[str]]] = {}
    for r in sorted(task_results, key=lambda r: (r["stage"], r["task"])):
        for index, reasons in r.get("tracebacks", {}).items():
            for reason, tbs in reasons.items():
                room = kept.setdefault(int(index), {}).setdefault(reason, [])
                room.extend(tbs[: KEEP_TRACEBACKS - len(room)])
    folder = state / "errors"
    out = {}
    for index, reasons in sorted(kept.items()):
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{index:02d}-{re.sub(r'[^A-Za-z0-9_.-]', '_', kinds[index])}.txt"
        parts = []
        for reason, tbs in sorted(reasons.items()):
            for n, tb in enumerate(tbs, 1):
                parts.append(f"=== {kinds[index]}: {reason} ({n} of the first {KEEP_TRACEBACKS})\n{tb}")
        (folder / name).write_text("\n".join(parts), encoding="utf-8")
        out[index] = f"{state.name}/errors/{name}"
    return out
