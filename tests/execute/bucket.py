"""Run inside a test cluster's namespace (where its S3 endpoint is reachable), with the endpoint and
test credentials in the environment (tests/execute/cluster.py):

    python -m tests.execute.bucket make BUCKET      wait for the server, then create the bucket
    python -m tests.execute.bucket fetch URL DIR    copy every object under URL into DIR
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


def make(bucket: str, timeout: float = 60.0) -> None:
    import boto3
    import botocore.exceptions

    client = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.create_bucket(Bucket=bucket)
            return
        except botocore.exceptions.EndpointConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def fetch(url: str, dest: str) -> None:
    from fruitstand.io import fs

    root = url.rstrip("/") + "/"
    for key, _, _ in fs.list_files(root):
        local = Path(dest) / key[len(root):]
        local.parent.mkdir(parents=True, exist_ok=True)
        fs.download(key, local)


if __name__ == "__main__":
    {"make": make, "fetch": fetch}[sys.argv[1]](*sys.argv[2:])
