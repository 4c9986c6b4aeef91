"""Real servers on loopback for the remote-storage tests: Debian's nginx (HTTP range requests),
moto's S3-protocol server and gcp-storage-emulator's GCS JSON API, each a separate process,
stopped at the end of the module."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, proc: subprocess.Popen, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port}")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def start_nginx(root: Path, work: Path):
    """nginx serving `root` on 127.0.0.1; returns (base URL, access log path, process)."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(binary):
        pytest.fail("nginx is not installed: .ci/run installs it (apt-get install nginx-light)")
    port = free_port()
    work.mkdir(parents=True, exist_ok=True)
    log = work / "access.log"
    conf = work / "nginx.conf"
    user = "user root;" if os.geteuid() == 0 else ""
    conf.write_text(f"""{user}
worker_processes 1;
daemon off;
pid {work}/nginx.pid;
error_log {work}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log {log};
    client_body_temp_path {work}/body; proxy_temp_path {work}/proxy; fastcgi_temp_path {work}/fcgi;
    uwsgi_temp_path {work}/uwsgi; scgi_temp_path {work}/scgi;
    types {{ }}
    default_type application/octet-stream;
    server {{
        listen 127.0.0.1:{port};
        root {root};
    }}
}}
""")
    proc = subprocess.Popen([binary, "-c", str(conf), "-p", str(work)], stderr=subprocess.PIPE)
    _wait_port(port, proc, "nginx")
    return f"http://127.0.0.1:{port}", log, proc


def moto_env(endpoint: str) -> dict[str, str]:
    """The environment that points boto3 and pyarrow at moto's server, with its test credentials."""
    return {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}


def start_moto(work: Path):
    """moto's S3 server on 127.0.0.1; returns (endpoint URL, process)."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=work)
    _wait_port(port, proc, "moto.server")
    return f"http://127.0.0.1:{port}", proc


def start_gcs(work: Path, bucket: str):
    """gcp-storage-emulator's GCS server on 127.0.0.1 (in memory) with `bucket`; returns (STORAGE_EMULATOR_HOST, process)."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "gcp_storage_emulator", "start", "--host", "127.0.0.1",
                             "--port", str(port), "--in-memory", f"--default-bucket={bucket}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=work)
    _wait_port(port, proc, "gcp-storage-emulator")
    return f"http://127.0.0.1:{port}", proc


stop = _stop
