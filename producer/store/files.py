"""Where episode files and uploads live: a local folder (default) or an S3-compatible bucket.

Both sit behind the small `FileStore` interface, chosen by one setting. Keys are plain relative
paths made of safe characters; a key that could climb out of the store (`..`, absolute paths,
encoded tricks, symlinks) is refused before any file system or network call.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from producer.atomic import atomic_path
from producer.errors import InputError, ProducerError
from producer.settings import Settings

# Segments start with a letter or digit, so `.`, `..` and hidden names are impossible.
_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}(/[A-Za-z0-9][A-Za-z0-9._-]{0,127}){0,7}")

# Only these types are ever sent; anything else is a download, never something a browser runs.
CONTENT_TYPES = {
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
    ".vtt": "text/vtt; charset=utf-8",
    ".json": "application/json",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".txt": "text/plain; charset=utf-8",
}
UNKNOWN_TYPE = "application/octet-stream"
S3_CONNECT_TIMEOUT = 5.0  # seconds
S3_READ_TIMEOUT = 30.0
S3_ATTEMPTS = 4
CHUNK = 64 * 1024


class StoreError(ProducerError):
    """The file store could not be read or written."""


@dataclass(frozen=True)
class StoredFile:
    key: str
    size: int
    etag: str
    modified: datetime

    @property
    def content_type(self) -> str:
        return content_type_for(self.key)


def check_key(key: str) -> str:
    if not _KEY.fullmatch(key):
        raise InputError(f"not a valid file key: {key[:80]!r}")
    return key


def content_type_for(key: str) -> str:
    return CONTENT_TYPES.get(Path(key).suffix.lower(), UNKNOWN_TYPE)


class FileStore(ABC):
    """Whole-file writes (readers never see half a file), ranged reads, deletes."""

    @abstractmethod
    def put_file(self, key: str, src: Path) -> StoredFile: ...

    @abstractmethod
    def put_bytes(self, key: str, data: bytes) -> StoredFile: ...

    @abstractmethod
    def stat(self, key: str) -> StoredFile | None: ...

    @abstractmethod
    def iter_range(self, key: str, start: int, end: int) -> Iterator[bytes]:
        """Bytes start..end inclusive, in chunks."""

    @abstractmethod
    def delete_prefix(self, prefix: str) -> None: ...

    @abstractmethod
    def check(self) -> None:
        """Raise StoreError unless the store can be written now (readiness, start-up)."""

    def read_bytes(self, key: str) -> bytes:
        info = self.stat(key)
        if info is None:
            raise StoreError(f"file {key} is missing from the store")
        return b"".join(self.iter_range(key, 0, info.size - 1)) if info.size else b""

    def fetch(self, key: str, dest: Path) -> None:
        """Copy a stored file to a local path (for tools that need a real file, like ffmpeg)."""
        info = self.stat(key)
        if info is None:
            raise StoreError(f"file {key} is missing from the store")
        with atomic_path(dest) as tmp, open(tmp, "wb") as out:
            for chunk in self.iter_range(key, 0, info.size - 1) if info.size else ():
                out.write(chunk)


class LocalFileStore(FileStore):
    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.root = root.resolve()

    def path(self, key: str) -> Path:
        """The file's path; a symlink anywhere on the way is refused, wherever it points."""
        path = self.root / check_key(key)
        if path.resolve() != path:
            raise InputError(f"not a valid file key: {key[:80]!r}")
        return path

    def put_file(self, key: str, src: Path) -> StoredFile:
        dest = self.path(key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(dest) as tmp:
            shutil.copyfile(src, tmp)
        return self._stat(key, dest)

    def put_bytes(self, key: str, data: bytes) -> StoredFile:
        dest = self.path(key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(dest) as tmp:
            tmp.write_bytes(data)
        return self._stat(key, dest)

    def stat(self, key: str) -> StoredFile | None:
        path = self.path(key)
        return self._stat(key, path) if path.is_file() else None

    @staticmethod
    def _stat(key: str, path: Path) -> StoredFile:
        st = path.stat()
        # Size and modification time change whenever the content is replaced; hashing would cost more.
        tag = hashlib.sha256(f"{key}:{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()[:32]
        return StoredFile(key, st.st_size, f'"{tag}"', datetime.fromtimestamp(st.st_mtime, UTC))

    def iter_range(self, key: str, start: int, end: int) -> Iterator[bytes]:
        with open(self.path(key), "rb") as fh:
            fh.seek(start)
            remaining = end - start + 1
            while remaining > 0:
                chunk = fh.read(min(CHUNK, remaining))
                if not chunk:
                    return
                remaining -= len(chunk)
                yield chunk

    def delete_prefix(self, prefix: str) -> None:
        target = self.path(prefix.rstrip("/"))
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink(missing_ok=True)

    def check(self) -> None:
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise StoreError(f"the media folder {self.root.name} is not writable")


class S3FileStore(FileStore):
    """An S3-compatible bucket (AWS, MinIO, …); a PUT is atomic, so readers never see half a file."""

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client, self.bucket, self.prefix = client, bucket, prefix

    @classmethod
    def from_settings(cls, settings: Settings) -> S3FileStore:
        try:
            import boto3
        except ImportError as exc:
            raise StoreError("storage=s3 needs boto3: pip install 'producer[scale]'") from exc
        if not settings.s3_bucket:
            raise StoreError("storage=s3 needs PRODUCER_S3_BUCKET")
        from botocore.config import Config

        secret = settings.s3_secret_access_key
        client = boto3.client(
            "s3",
            endpoint_url=settings.s3_endpoint_url,
            region_name=settings.s3_region,
            aws_access_key_id=settings.s3_access_key_id,
            aws_secret_access_key=secret.get_secret_value() if secret else None,
            # Every call bounded in time and retried (standard mode: backoff with jitter on
            # throttling, 5xx and connection errors), so a slow or flapping endpoint is ridden out
            # and a dead one fails in bounded time instead of hanging a worker or a request.
            config=Config(
                connect_timeout=S3_CONNECT_TIMEOUT,
                read_timeout=S3_READ_TIMEOUT,
                retries={"max_attempts": S3_ATTEMPTS, "mode": "standard"},
            ),
        )
        return cls(client, settings.s3_bucket, settings.s3_prefix)

    def check(self) -> None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except Exception as exc:
            raise StoreError(f"bucket {self.bucket} cannot be reached: {_reason(exc)}") from exc

    def ensure_bucket(self, create: bool) -> None:
        """At start: the bucket must exist (made here when allowed), or a clear error."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
            return
        except self.client.exceptions.ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code not in ("404", "NoSuchBucket", "NotFound"):
                raise StoreError(f"bucket {self.bucket} cannot be used: {_reason(exc)}") from exc
        except Exception as exc:
            raise StoreError(
                f"the object store at bucket {self.bucket} cannot be reached: {_reason(exc)}"
            ) from exc
        if not create:
            raise StoreError(
                f"bucket {self.bucket} does not exist: create it, or set PRODUCER_S3_CREATE_BUCKET=true"
            )
        try:
            self.client.create_bucket(Bucket=self.bucket)
        except Exception as exc:
            raise StoreError(f"bucket {self.bucket} could not be created: {_reason(exc)}") from exc

    def _name(self, key: str) -> str:
        return self.prefix + check_key(key)

    def put_file(self, key: str, src: Path) -> StoredFile:
        with open(src, "rb") as fh:
            return self._put(key, fh)

    def put_bytes(self, key: str, data: bytes) -> StoredFile:
        return self._put(key, data)

    def _put(self, key: str, body: Any) -> StoredFile:
        try:
            self.client.put_object(
                Bucket=self.bucket, Key=self._name(key), Body=body, ContentType=content_type_for(key)
            )
        except Exception as exc:  # botocore's errors have no common base worth importing here
            raise StoreError(f"cannot store {key} in bucket {self.bucket}: {exc}") from exc
        info = self.stat(key)
        if info is None:
            raise StoreError(f"{key} vanished from bucket {self.bucket} right after it was stored")
        return info

    def stat(self, key: str) -> StoredFile | None:
        name = self._name(key)
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=name)
        except self.client.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise StoreError(f"cannot read {key} from bucket {self.bucket}: {exc}") from exc
        return StoredFile(key, int(head["ContentLength"]), head["ETag"], head["LastModified"].astimezone(UTC))

    def iter_range(self, key: str, start: int, end: int) -> Iterator[bytes]:
        try:
            reply = self.client.get_object(
                Bucket=self.bucket, Key=self._name(key), Range=f"bytes={start}-{end}"
            )
        except Exception as exc:
            raise StoreError(f"cannot read {key} from bucket {self.bucket}: {_reason(exc)}") from exc
        body = reply["Body"]
        try:
            yield from body.iter_chunks(CHUNK)
        finally:
            body.close()

    def delete_prefix(self, prefix: str) -> None:
        name = self._name(prefix.rstrip("/"))
        try:
            paginator = self.client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=name + "/"):
                keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
                if keys:
                    self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": keys})
            self.client.delete_object(Bucket=self.bucket, Key=name)
        except Exception as exc:
            raise StoreError(f"cannot delete {prefix} from bucket {self.bucket}: {_reason(exc)}") from exc


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def open_store(settings: Settings) -> FileStore:
    if settings.storage == "s3":
        return S3FileStore.from_settings(settings)
    return LocalFileStore(settings.data_dir / "media")


def open_checked_store(settings: Settings) -> FileStore:
    """The store a server or worker starts with: an S3 bucket is checked (or created when
    PRODUCER_S3_CREATE_BUCKET allows) now, not at the end of the first render."""
    store = open_store(settings)
    if isinstance(store, S3FileStore):
        store.ensure_bucket(settings.s3_create_bucket)
    return store
