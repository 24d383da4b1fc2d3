"""An Open311 GeoReport v2 client works against a real `onestop serve`, on SQLite and PostgreSQL.

`GeoReportClient` is written from the GeoReport v2 specification
(http://wiki.open311.org/GeoReport_v2), not from onestop's code: it finds the endpoint
in the discovery document, reads the service list and a service definition, posts a
form-encoded request with ``attribute[code]`` fields, and reads the request back, one
by id and as a list.  Nothing here imports the server's routes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from web_support import ServerProcess, settings_for

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"

# What the applicant of the sample mall's ``kia`` service (a child identity card) answers.
KIA_ANSWERS = {
    "child_nik": "3171016512150002",
    "child_name": "Ani Lestari",
    "age_group": "under_5",
}
SURNAME = "Zqxwvlestari"
"""A surname no log line may hold."""
IDENTITY = {
    "applicant.identity_number": "3171012501900001",
    "applicant.identity_scheme": "id-nik",
}


class GeoReportError(Exception):
    """The server answered with GeoReport's error list."""

    def __init__(self, status: int, errors: list[dict[str, Any]]) -> None:
        self.status = status
        self.errors = errors
        super().__init__(f"HTTP {status}: {errors}")


class GeoReportClient:
    """A minimal GeoReport v2 client, JSON format, as the specification describes one."""

    def __init__(self, discovery_url: str, *, http: httpx.Client) -> None:
        self.discovery_url = discovery_url
        self.http = http
        self.base = ""

    def _answer(self, response: httpx.Response) -> Any:
        if response.status_code >= 400:
            raise GeoReportError(response.status_code, response.json())
        assert response.headers["content-type"].startswith("application/json")
        return response.json()

    def discover(self) -> dict[str, Any]:
        """Read the discovery document and take its production GeoReport v2 JSON endpoint."""
        document = self._answer(self.http.get(self.discovery_url))
        for endpoint in document["endpoints"]:
            if (
                endpoint["specification"] == SPECIFICATION
                and endpoint["type"] == "production"
                and "application/json" in endpoint["formats"]
            ):
                self.base = endpoint["url"].rstrip("/")
                return dict(document)
        raise AssertionError("no production GeoReport v2 JSON endpoint is discovered")

    def services(self) -> list[dict[str, Any]]:
        """``GET services.json``."""
        found: list[dict[str, Any]] = self._answer(self.http.get(f"{self.base}/services.json"))
        return found

    def definition(self, service_code: str) -> dict[str, Any]:
        """``GET services/{service_code}.json``."""
        found: dict[str, Any] = self._answer(
            self.http.get(f"{self.base}/services/{service_code}.json")
        )
        return found

    def post_request(
        self,
        service_code: str,
        *,
        attributes: Mapping[str, str | Sequence[str]],
        **fields: str,
    ) -> list[dict[str, Any]]:
        """``POST requests.json``, form-encoded: the fields, then ``attribute[code]=value``
        (repeated for each value of a multivaluelist)."""
        form: list[tuple[str, str]] = [("service_code", service_code), *fields.items()]
        for code, value in attributes.items():
            values = [value] if isinstance(value, str) else list(value)
            form += [(f"attribute[{code}]", item) for item in values]
        response = self.http.post(
            f"{self.base}/requests.json",
            content=urlencode(form).encode("ascii"),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        found: list[dict[str, Any]] = self._answer(response)
        return found

    def request(self, service_request_id: str) -> dict[str, Any]:
        """``GET requests/{service_request_id}.json``: the spec answers a list of one."""
        found = self._answer(self.http.get(f"{self.base}/requests/{service_request_id}.json"))
        assert isinstance(found, list)
        assert len(found) == 1
        return dict(found[0])

    def requests(self, *service_request_ids: str) -> list[dict[str, Any]]:
        """``GET requests.json?service_request_id=ID,ID``."""
        params = {"service_request_id": ",".join(service_request_ids)}
        found: list[dict[str, Any]] = self._answer(
            self.http.get(f"{self.base}/requests.json", params=params)
        )
        return found


def _answers_for(definition: dict[str, Any], given: Mapping[str, str]) -> dict[str, str]:
    """The answers to send: every required attribute answered, list values among the keys."""
    answers: dict[str, str] = {}
    for attribute in sorted(definition["attributes"], key=lambda a: a["order"]):
        code = attribute["code"]
        if code in given:
            answers[code] = given[code]
            if attribute["datatype"] in ("singlevaluelist", "multivaluelist"):
                assert given[code] in {value["key"] for value in attribute["values"]}
        else:
            assert not attribute["required"], f"no answer for the required attribute {code}"
    return answers


def _round_trip(server_url: str) -> dict[str, Any]:
    """Discover, list, define, post and read back; return what the client saw."""
    with httpx.Client(timeout=30) as http:
        client = GeoReportClient(f"{server_url}/open311/v2/discovery.json", http=http)
        discovered = client.discover()
        services = client.services()
        kia = next(service for service in services if service["service_code"] == "kia")
        assert kia["metadata"] is True
        assert kia["type"] in ("realtime", "batch", "blackbox")
        definition = client.definition("kia")
        answers = _answers_for(definition, {**KIA_ANSWERS, **IDENTITY})  # all it lists
        created = client.post_request(
            "kia",
            attributes=answers,
            first_name="Ani",
            last_name=SURNAME,
            email="ani@example.org",
        )
        (item,) = created
        request_id = item["service_request_id"]
        one = client.request(request_id)
        listed = client.requests(request_id)
        return {
            "discovered": discovered,
            "services": services,
            "created": item,
            "one": one,
            "listed": listed,
        }


def _check(seen: dict[str, Any], server_url: str) -> None:
    assert seen["discovered"]["endpoints"][0]["url"] == f"{server_url}/open311/v2"
    one = seen["one"]
    assert one["service_request_id"] == seen["created"]["service_request_id"]
    assert one["status"] == "open"
    assert one["service_code"] == "kia"
    assert json.loads(one["status_notes"])["closed"] is False
    assert seen["listed"] == [one]


def test_an_open311_client_applies_and_reads_the_status_back_on_sqlite(tmp_path: Path) -> None:
    """On SQLite, a GeoReport client lists services, posts a request and reads it back open."""
    with ServerProcess(settings_for(tmp_path)) as server:
        seen = _round_trip(server.url)
        log = server.log()
    _check(seen, server.url)
    assert SURNAME not in log
    assert "3171012501900001" not in log
    assert "ani@example.org" not in log


@pytest.mark.postgres
def test_an_open311_client_applies_and_reads_the_status_back_on_postgresql(
    tmp_path: Path, fresh_schema: str
) -> None:
    """On PostgreSQL with two workers, a GeoReport client posts a request and reads it back."""
    with ServerProcess(settings_for(tmp_path, store_url=fresh_schema, workers=2)) as server:
        seen = _round_trip(server.url)
    _check(seen, server.url)


def test_a_request_another_client_cannot_name_is_never_listed(tmp_path: Path) -> None:
    """``requests.json`` without ids is an empty list, and an unknown id is a GeoReport 404."""
    with ServerProcess(settings_for(tmp_path)) as server, httpx.Client(timeout=30) as http:
        client = GeoReportClient(f"{server.url}/open311/v2/discovery.json", http=http)
        client.discover()
        client.post_request(
            "kia", attributes={**KIA_ANSWERS, **IDENTITY}, first_name="Ani", last_name="L"
        )
        listed = http.get(f"{client.base}/requests.json", params={"status": "open"})
        with pytest.raises(GeoReportError) as missing:
            client.request("00000000-0000-4000-8000-000000000000")
    assert listed.json() == []
    assert missing.value.status == 404
    assert missing.value.errors == [
        {"code": 404, "description": "service_request_id: no such service request"}
    ]
