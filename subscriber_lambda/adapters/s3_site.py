"""The built site's files in its S3 bucket, for the Lambda functions (``site_data.SiteFiles``).

A postcode file is fetched when a resident types a postcode in it, and the last few are
kept in memory for the container's life: they change only when the ONS directory is
imported again, four times a year, and each is small (an outward code's postcodes and
their wards). Reading a missing file needs ``s3:ListBucket`` as well as ``s3:GetObject``:
without it S3 answers AccessDenied instead of NoSuchKey.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import boto3
from botocore.exceptions import ClientError

CACHED_FILES = 64


class SiteBucket:
    def __init__(
        self, bucket: str, client_options: dict[str, Any] | None = None, cached: int = CACHED_FILES
    ) -> None:
        self.bucket = bucket
        self._s3 = boto3.client("s3", **(client_options or {}))
        self._cached = lru_cache(maxsize=cached)(self._fetch)

    def read(self, name: str) -> bytes | None:
        return self._cached(name)

    def _fetch(self, name: str) -> bytes | None:
        try:
            body: bytes = self._s3.get_object(Bucket=self.bucket, Key=name)["Body"].read()
        except ClientError as error:
            if error.response["Error"]["Code"] in ("NoSuchKey", "404"):
                return None
            raise
        return body
