"""Documents in the encrypted bucket: presigned POST uploads (type and size enforced by S3 itself)
and short-lived presigned GETs for the operator who reviews them."""

from __future__ import annotations

from shared.core.clients import client


class S3DocumentStore:
    def __init__(self, bucket: str) -> None:
        self._bucket = bucket

    def presign_upload(self, key: str, content_type: str, size: int, expires_seconds: int) -> dict[str, object]:
        post = client("s3").generate_presigned_post(
            Bucket=self._bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, size]],
            ExpiresIn=expires_seconds,
        )
        return {"url": post["url"], "fields": post["fields"]}

    def presign_download(self, key: str, expires_seconds: int) -> str:
        return str(
            client("s3").generate_presigned_url(
                "get_object", Params={"Bucket": self._bucket, "Key": key}, ExpiresIn=expires_seconds
            )
        )
