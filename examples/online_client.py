"""A citizen's client of an online mall: list services, upload, apply, retry, track.

Start a mall first (it needs the ``web`` extra), then run this with its address::

    onestop serve examples/jakarta --store sqlite:///mall.sqlite3 --key-file mall.keys &
    python examples/online_client.py http://127.0.0.1:8000

(``onestop pii keygen --out mall.keys`` makes the key file.)  It uses nothing but
HTTP (httpx), as a client in any language would:

1. ``GET /api/v1/services?lang=en``: the services on offer, in English;
2. ``POST /api/v1/uploads``: a family card as a PDF, before applying;
3. ``POST /api/v1/applications`` with an ``Idempotency-Key``: a child identity card,
   naming the upload; then the very same request again, as a client does when the
   first answer was lost, which gives back the same receipt instead of a second
   application;
4. ``GET /api/v1/tracking`` with the lookup secret in a header, never in the URL.
"""

from __future__ import annotations

import sys
import uuid

import httpx

from onestop.testing import sample_pdf


def main(base_url: str) -> None:
    """Walk through a citizen's visit to the mall at *base_url*."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        services = client.get("/api/v1/services", params={"lang": "en"}).raise_for_status()
        names = {s["code"]: s["name"] for s in services.json()["services"]}
        print(f"{len(names)} services on offer, among them: {names['kia']}")

        upload = client.post(
            "/api/v1/uploads",
            content=sample_pdf(b"family card"),
            headers={"Content-Type": "application/pdf", "Upload-Filename": "kk.pdf"},
        ).raise_for_status()
        document = upload.json()
        print(f"uploaded a {document['media_type']} of {document['size']} bytes")

        application = {
            "service": "kia",
            "channel": "online",
            "applicant": {
                "identity_number": "3171012501900001",
                "identity_scheme": "id-nik",
                "name": "Ani Lestari",
            },
            "answers": {
                "child_nik": "3171016512150002",
                "child_name": "Dewi Lestari",
                "age_group": "under_5",
            },
            "documents": [{"requirement": "kk", "document_id": document["document_id"]}],
        }
        key = uuid.uuid4().hex  # one new key per application, kept until it is answered
        first = client.post(
            "/api/v1/applications", json=application, headers={"Idempotency-Key": key}
        ).raise_for_status()
        receipt = first.json()
        print(f"submitted: number {receipt['number']} (HTTP {first.status_code})")

        again = client.post(
            "/api/v1/applications", json=application, headers={"Idempotency-Key": key}
        ).raise_for_status()
        same = again.json()["number"] == receipt["number"]
        print(f"sent again with the same key: HTTP {again.status_code}, same number: {same}")

        status = client.get(
            "/api/v1/tracking",
            params={"number": receipt["number"], "lang": "en"},
            headers={"Lookup-Secret": receipt["lookup_secret"]},
        ).raise_for_status()
        print(f"status: {status.json()['label']}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python examples/online_client.py BASE_URL")
    main(sys.argv[1])
