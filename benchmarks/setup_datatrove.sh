#!/usr/bin/env bash
# Build the reference venv the benchmarks compare fruitstand against: datatrove 0.10.1 with
# everything its WARC reader, extractors, URL/Gopher/C4/FineWeb filters, Parquet writer and MinHash
# stages import, in its own venv because datatrove pins trafilatura<1.12 (fruitstand uses 2.x).
#
# Usage: bash benchmarks/setup_datatrove.sh        (creates /work/main/.venv-datatrove, git-ignored)
#
# Versions are pinned to what installed and ran offline on 2026-11-23. Notes on why each extra is here:
#   spacy, orjson, lxml_html_clean: datatrove's word tokenizer (spacy.blank, no model download), its JSONL
#     reader, and trafilatura's import (this pip does not resolve lxml[html_clean]).
#   faust-cchardet, python-magic: WarcReader's record decoding (libmagic comes from the OS).
#   pyahocorasick, tldextract, fasteners: URLFilter. tldextract tries to fetch the public suffix list,
#     fails at once on DNS here, logs a traceback, falls back to its bundled snapshot and caches the result
#     (~/.cache/python-tldextract); URLFilter's block lists ship inside datatrove (extracted once to
#     ~/.cache/huggingface/assets). The smoke test below runs both.
#   fasttext-numpy2-wheel: FastTextClassifierFilter, for benchmarks/bench_classifier.py (a model trained there, offline).
#   resiliparse: only for the benchmark's resiliparse-backed datatrove extractor (apples-to-apples run).
# Not installed: fasttext language model (LanguageFilter downloads lid.176.bin at run time: can't run here);
# C4BadWordsFilter downloads its word lists (not part of the FineWeb pipeline, so not needed).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="$ROOT/.venv-datatrove"
PY="${PYTHON:-python3.11}"

if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV"
fi
rm -f "$VENV/READY"

"$VENV/bin/pip" install -q \
    "datatrove[processing]==0.10.1" \
    "trafilatura==1.11.0" \
    "spacy==3.8.18" \
    "orjson==3.13.0" \
    "lxml==6.1.3" \
    "lxml_html_clean==0.4.6" \
    "faust-cchardet==3.2.0" \
    "python-magic==0.4.27" \
    "pyahocorasick==2.3.1" \
    "tldextract==5.4.0" \
    "fasteners==0.20" \
    "nltk==3.10.4" \
    "warcio==1.8.1" \
    "pyarrow==26.0.1" \
    "numpy==2.4.6" \
    "xxhash==3.8.2" \
    "resiliparse==2.0.1" \
    "fastwarc==2.0.1" \
    "fasttext-numpy2-wheel==0.9.2" \
    > "$VENV/pip-install.log" 2>&1 || { grep -v "^WARNING: Location" "$VENV/pip-install.log"; exit 1; }

# Smoke test: every stage the benchmarks use, offline, on a real WARC and a real JSONL file.
SMOKE="$ROOT/.bench/datatrove-smoke"
rm -rf "$SMOKE" && mkdir -p "$SMOKE"
DATA="${FRUITSTAND_DATA:-$ROOT/../shared/data}" SMOKE="$SMOKE" timeout 600 "$VENV/bin/python" - <<'PY'
import os, time
from pathlib import Path

from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.dedup import MinhashDedupSignature
from datatrove.pipeline.dedup.minhash import (MinhashConfig, MinhashDedupBuckets, MinhashDedupCluster,
                                              MinhashDedupFilter)
from datatrove.pipeline.extractors import Trafilatura
from datatrove.pipeline.filters import (C4QualityFilter, FineWebQualityFilter, GopherQualityFilter,
                                        GopherRepetitionFilter, URLFilter)
from datatrove.pipeline.readers import JsonlReader, ParquetReader, WarcReader
from datatrove.pipeline.writers import JsonlWriter, ParquetWriter
from datatrove.utils.hashing import HashConfig

data, smoke = Path(os.environ["DATA"]), Path(os.environ["SMOKE"])
t0 = time.time()
LocalPipelineExecutor(pipeline=[
    WarcReader(str(data / "warc"), glob_pattern="sample-000*.warc.gz"),
    Trafilatura(favour_precision=True),
    URLFilter(),
    GopherRepetitionFilter(), GopherQualityFilter(), C4QualityFilter(filter_no_terminal_punct=False),
    FineWebQualityFilter(),
    ParquetWriter(str(smoke / "fineweb")),
], tasks=1, workers=1, logging_dir=str(smoke / "logs-fineweb")).run()
n = sum(1 for _ in ParquetReader(str(smoke / "fineweb")).run())
assert n > 0, "FineWeb pipeline wrote no documents"
print(f"fineweb pipeline ok: {n} docs kept ({time.time() - t0:.1f}s)")

cfg = MinhashConfig(hash_config=HashConfig(precision=64), n_grams=5, num_buckets=14, hashes_per_bucket=8)
reader = JsonlReader(str(data / "text"), glob_pattern="CC-MAIN-*.jsonl.gz")
mh = smoke / "minhash"
steps = [
    [reader, MinhashDedupSignature(output_folder=str(mh / "sigs"), config=cfg)],
    [MinhashDedupBuckets(input_folder=str(mh / "sigs"), output_folder=str(mh / "buckets"), config=cfg)],
    [MinhashDedupCluster(input_folder=str(mh / "buckets"), output_folder=str(mh / "remove"), config=cfg)],
    [reader, MinhashDedupFilter(input_folder=str(mh / "remove")), JsonlWriter(str(mh / "out"))],
]
for i, pipeline in enumerate(steps):
    tasks = cfg.num_buckets if i == 1 else 1
    LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=1, logging_dir=str(mh / f"logs{i}")).run()
n = sum(1 for _ in JsonlReader(str(mh / "out")).run())
assert 0 < n <= 697, n
print(f"minhash stages ok: {n} of 697 docs kept ({time.time() - t0:.1f}s)")
PY
touch "$VENV/READY"
echo "datatrove venv ready: $VENV"
