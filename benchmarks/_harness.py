"""Shared benchmark harness: run a command, time it, sample its process tree's memory.

Every side of every benchmark (fruitstand's CLI, datatrove's LocalPipelineExecutor) runs as a
subprocess started here, so wall time and memory are measured the same way for both: wall time
from spawn to exit (interpreter start and imports included, as a user would see them), and the
peak over time of the summed RSS (and PSS, which splits pages that forked workers share) of the
whole process tree, sampled from /proc. Sides are alternated within one run and repeated; the
median is reported, because the machine is shared and single timings are noisy.

Standard library only: the same file is imported by the datatrove venv's runner.
"""

from __future__ import annotations

import gzip
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = (REPO / ".." / "shared" / "data").resolve()
SCRATCH = REPO / ".bench"
FRUITSTAND_PY = REPO / ".venv" / "bin" / "python"
DATATROVE_PY = REPO / ".venv-datatrove" / "bin" / "python"
_PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Run:
    wall_s: float
    peak_rss: int  # bytes, summed over the process tree, peak over samples
    peak_pss: int
    rc: int
    cpu_s: float = 0.0  # user + system seconds of the whole tree
    tail: str = ""
    extra: dict = field(default_factory=dict)
    peak_proc_rss: int = 0  # bytes: the largest RSS any one process of the tree reached


def _children(pid: int) -> list[int]:
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out.extend(int(c) for c in f.read().split())
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return out


def _tree(pid: int) -> list[int]:
    todo, seen = [pid], []
    while todo:
        p = todo.pop()
        seen.append(p)
        todo.extend(_children(p))
    return seen


def _mem(pid: int) -> tuple[int, int]:
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/statm") as f:
            rss = int(f.read().split()[1]) * _PAGE
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1]) * 1024
                    break
    except (FileNotFoundError, ProcessLookupError, PermissionError, IndexError, ValueError):
        pass
    return rss, pss


def _cpu_ticks(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime, stime
    except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
        return 0


def measure(cmd: list[str], *, env: dict | None = None, interval: float = 0.1, timeout: float = 1800) -> Run:
    """Run `cmd`, returning wall time, peak tree RSS/PSS, CPU time, exit code and the output's tail.

    CPU time is the larger of the reaped children's rusage (exact when every process in the tree is
    waited for by its parent) and the sum of each process's last sampled /proc time (which misses
    at most one sampling interval per process). On a shared machine it moves less than wall time.
    """
    full_env = {**os.environ, **(env or {})}
    log = SCRATCH / "last-run.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    ticks: dict[int, int] = {}
    with open(log, "wb") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen([str(c) for c in cmd], stdout=out, stderr=subprocess.STDOUT, env=full_env)
        peak_rss = peak_pss = peak_proc = 0
        while proc.poll() is None:
            rss = pss = 0
            for p in _tree(proc.pid):
                ticks[p] = max(ticks.get(p, 0), _cpu_ticks(p))
                r, s = _mem(p)
                rss += r
                pss += s
                peak_proc = max(peak_proc, r)
            peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
            if time.perf_counter() - t0 > timeout:
                proc.kill()
            time.sleep(interval)
        wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    reaped = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    cpu = max(reaped, sum(ticks.values()) / os.sysconf("SC_CLK_TCK"))
    tail = log.read_bytes()[-3000:].decode("utf-8", "replace")
    return Run(wall, peak_rss, peak_pss, proc.returncode, cpu, tail, peak_proc_rss=peak_proc)


def alternate(sides: dict, repeats: int, *, label: str = "") -> dict[str, list[Run]]:
    """Run each side's zero-argument callable `repeats` times, rotating the order every round."""
    names = list(sides)
    runs: dict[str, list[Run]] = {n: [] for n in names}
    for r in range(repeats):
        order = names[r % len(names):] + names[: r % len(names)]
        for name in order:
            run = sides[name]()
            if run.rc != 0:
                sys.exit(f"{label} {name} failed (exit {run.rc}):\n{run.tail}")
            runs[name].append(run)
            print(f"  {label} round {r + 1}: {name:<28} {run.wall_s:7.2f} s  CPU {run.cpu_s:7.2f} s  "
                  f"peak RSS {mib(run.peak_rss):7.0f} MiB  load {os.getloadavg()[0]:.1f}", flush=True)
    return runs


def median_run(runs: list[Run]) -> Run:
    """A Run holding the median wall time and the median peak memory of several runs."""
    return Run(
        statistics.median(r.wall_s for r in runs),
        int(statistics.median(r.peak_rss for r in runs)),
        int(statistics.median(r.peak_pss for r in runs)),
        0,
        statistics.median(r.cpu_s for r in runs),
        extra=runs[0].extra,
        peak_proc_rss=int(statistics.median(r.peak_proc_rss for r in runs)),
    )


def marginal(per_scale: dict[int, tuple[int, dict[str, Run]]], ours: str, refs: list[str]) -> str:
    """Steady-state docs/s between the smallest and largest scale: (docs added) / (time added).

    This cancels each side's fixed cost (interpreter start, imports, model and list loading, pool
    start), which at these input sizes is a large share of a run but vanishes on a real crawl.
    """
    if len(per_scale) < 2:
        return ""
    lo, hi = min(per_scale), max(per_scale)
    rates = {}
    for name in per_scale[hi][1]:
        if name in per_scale[lo][1]:
            dn = per_scale[hi][0] - per_scale[lo][0]
            dt = per_scale[hi][1][name].wall_s - per_scale[lo][1][name].wall_s
            rates[name] = dn / dt if dt > 0 else float("nan")
    lines = [f"steady state x{lo} -> x{hi} (added docs / added seconds): "
             + ", ".join(f"{k} {v:.1f} docs/s" for k, v in rates.items())]
    lines += [f"steady state fruitstand / {r}: {rates[ours] / rates[r]:.2f}x" for r in refs if ours in rates and r in rates]
    return "\n".join(lines)


def mib(n: int) -> float:
    return n / 2**20


def table(header: list[str], rows: list[list]) -> str:
    """A Markdown table (pipes aligned for reading in a terminal)."""
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |" for r in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


# --- inputs -------------------------------------------------------------------------------------

HTML_TYPES = (b"text/html", b"application/xhtml+xml")


def _http_mime(block: bytes) -> bytes | None:
    head = block[: block.find(b"\r\n\r\n")] if b"\r\n\r\n" in block[:65536] else b""
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-type":
            return value.split(b";")[0].strip().lower() or None
    return None


def _records(src: Path):
    """Each WARC record of `src` as its own gzip member, with WARC-Identified-Payload-Type added.

    Common Crawl's WARCs carry that header; these test crawls do not, and without it datatrove's
    WarcReader guesses the type with libmagic, which calls 33 of articles-61's 61 pages
    "application/javascript" and skips them. Taking the type from the HTTP Content-Type gives both
    tools the same documents. Yields (member, HTML payload bytes or 0 if not an HTML response).
    """
    from fastwarc.warc import ArchiveIterator  # main venv only

    with open(src, "rb") as f:
        for rec in ArchiveIterator(f, parse_http=False):
            block = rec.reader.read()
            headers = [(k, v) for k, v in rec.headers.items() if k.lower() != "warc-identified-payload-type"]
            html = 0
            if str(rec.record_type) == "response":
                mime = _http_mime(block)
                if mime:
                    headers.append(("WARC-Identified-Payload-Type", mime.decode("latin-1")))
                    html = len(block) if mime in HTML_TYPES else 0
            head = rec.headers.status_line + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
            yield gzip.compress(head.encode("utf-8") + block + b"\r\n\r\n", compresslevel=6, mtime=0), html


def _base(names: list[str], tag: str, layout: str) -> list[tuple[str, Path, int]]:
    """The normalised base files, cached in .bench/warc-base: (name, path, HTML records).

    For layout "halves" the records of all named files are dealt into two files of about equal
    HTML bytes (each HTML response, with the records after it, goes to the lighter half), so two
    workers get the same work whichever file is heavy.
    """
    base = SCRATCH / "warc-base"
    base.mkdir(parents=True, exist_ok=True)
    wanted = [f"{tag}-half{i}.warc.gz" for i in (0, 1)] if layout == "halves" else names
    if not all((base / (n + ".nhtml")).exists() for n in wanted):
        if layout == "halves":
            outs = [open(base / n, "wb") for n in wanted]
            weight, count, cur = [0, 0], [0, 0], 0
            for name in names:
                for member, html in _records(DATA / "warc" / name):
                    if html:
                        cur = 0 if weight[0] <= weight[1] else 1
                        weight[cur] += html
                        count[cur] += 1
                    outs[cur].write(member)
            for out, n, c in zip(outs, wanted, count):
                out.close()
                (base / (n + ".nhtml")).write_text(str(c))
        else:
            for name in names:
                with open(base / name, "wb") as out:
                    n_html = sum(out.write(member) and bool(html) for member, html in _records(DATA / "warc" / name))
                (base / (name + ".nhtml")).write_text(str(n_html))
    return [(n, base / n, int((base / (n + ".nhtml")).read_text())) for n in wanted]


def scaled_warcs(names: list[str], scale: int, *, tag: str, layout: str = "halves") -> tuple[Path, list[Path], int]:
    """A folder holding `scale` copies of the named WARCs from shared/data/warc.

    layout "halves": two files (one per worker), records dealt by HTML bytes, each `scale` copies
    long (gzip members chain): per-task start-up is amortised as over real ~1 GB crawl files and
    both workers stay busy. "concat": each named file `scale` copies long. "files": copy k of each
    file as its own file, so the number of tasks grows with the input. A streaming executor's
    memory should not move with `scale` in any of them. Returns (folder, files, HTML records).
    """
    folder = SCRATCH / f"warc-{tag}-{layout}-x{scale}"
    folder.mkdir(parents=True, exist_ok=True)
    files, n_html = [], 0
    for name, norm, count in _base(names, tag, layout):
        n_html += count * scale
        if layout == "files":
            for k in range(scale):
                dest = folder / f"{k:03d}-{name}"
                if not dest.exists():
                    os.link(norm, dest)
                files.append(dest)
            continue
        dest = folder / name
        if not dest.exists() or dest.stat().st_size != norm.stat().st_size * scale:
            data = norm.read_bytes()
            with open(dest, "wb") as out:
                for _ in range(scale):
                    out.write(data)
        files.append(dest)
    return folder, files, n_html


def fruitstand_cmd(recipe: Path, inputs: list[Path], output: Path, workers: int) -> list:
    """The fruitstand CLI, run with the main venv's interpreter (no reliance on PATH)."""
    return [
        FRUITSTAND_PY, "-c", "import sys; from fruitstand.cli import main; sys.exit(main())",
        "run", recipe, "--input", *inputs, "--output", output, "--workers", str(workers), "--overwrite",
    ]


def ready_sides(sides: list[str]) -> list[str]:
    """`sides` without "fruitstand" when fruitstand does not import (said in one line)."""
    if "fruitstand" in sides and not fruitstand_ready():
        print("fruitstand.run / fruitstand.cli not importable yet: skipping the fruitstand side")
        return [s for s in sides if s != "fruitstand"]
    return sides


SCALED_HEADER = ["scale", "side", "HTML in", "docs out", "wall s", "docs/s", "CPU s", "docs/CPU-s",
                 "peak RSS MiB", "peak PSS MiB"]


def scaled_row(scale: int, name: str, n_in: int, m: Run) -> list:
    """One SCALED_HEADER row: a side's median run over `n_in` input documents at `scale`."""
    return [f"x{scale}", name, n_in, m.extra.get("docs_out", ""), f"{m.wall_s:.2f}", f"{n_in / m.wall_s:.1f}",
            f"{m.cpu_s:.1f}", f"{n_in / m.cpu_s:.1f}", f"{mib(m.peak_rss):.0f}", f"{mib(m.peak_pss):.0f}"]


def ratio_line(label: str, ours: Run, ref: Run) -> str:
    """docs/s, docs/CPU-s and peak-RSS ratios of `ours` against `ref` (same input on both)."""
    return (f"{label}: {ref.wall_s / ours.wall_s:.2f}x docs/s, {ref.cpu_s / ours.cpu_s:.2f}x docs/CPU-s, "
            f"{ours.peak_rss / ref.peak_rss:.2f}x peak RSS")


def fruitstand_ready() -> bool:
    """Whether fruitstand imports; its sources are byte-compiled first, as an installed wheel's are
    (an editable install under PYTHONDONTWRITEBYTECODE=1 recompiles them in every process)."""
    compile_sources(Path(__file__).resolve().parents[1] / "src")
    probe = "import fruitstand, fruitstand.cli; assert hasattr(fruitstand, 'run')"
    return subprocess.run([FRUITSTAND_PY, "-c", probe], capture_output=True).returncode == 0


def compile_sources(src: Path) -> None:
    """Byte-compile the sources under `src`, as an installed wheel's are (a `--baseline-src` too:
    under PYTHONDONTWRITEBYTECODE=1 each of its processes would compile it again, ~0.2 CPU-s)."""
    subprocess.run([FRUITSTAND_PY, "-m", "compileall", "-q", str(src)], capture_output=True)


def measured_side(cmd: list, dest: Path | None, *, env: dict | None = None):
    """A side for `alternate`: clear `dest` (and its -logs), run `cmd`, and count the documents it
    wrote to `dest` as `docs_out`; with no `dest`, the count is the `docs_out` of the JSON object
    the command prints last."""
    def go() -> Run:
        if dest is not None:
            shutil.rmtree(dest, ignore_errors=True)
            shutil.rmtree(f"{dest}-logs", ignore_errors=True)
        run = measure(cmd, env=env)
        if run.rc == 0:
            run.extra["docs_out"] = (json.loads(run.tail.strip().splitlines()[-1])["docs_out"] if dest is None
                                     else parquet_rows(dest))
        return run
    return go


def parquet_rows(folder: Path) -> int:
    """Rows in every Parquet file under `folder` (read from the footers only)."""
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(p).metadata.num_rows for p in Path(folder).rglob("*.parquet"))


def datatrove_resiliparse():
    """A datatrove extractor step calling resiliparse, as fruitstand's `extract` does.

    datatrove 0.10 has Trafilatura and ReadabilityInscriptis extractors only; this adapter runs
    inside datatrove's extractor sandbox (a child process per worker, 1 s timeout per page) like
    those, so the comparison isolates the executor. Defined in a function: the datatrove venv alone
    can import it, and dill pickles the class by value into datatrove's workers.
    """
    from datatrove.pipeline.extractors.base import BaseExtractor

    class ResiliparseExtractor(BaseExtractor):
        name = "resiliparse"

        def __init__(self, timeout: float = 1):
            super().__init__(timeout)

        def extract(self, text: str) -> str:
            from resiliparse.extract.html2text import extract_plain_text
            from resiliparse.parse.html import HTMLTree

            return extract_plain_text(HTMLTree.parse(text), main_content=True)

    return ResiliparseExtractor()
