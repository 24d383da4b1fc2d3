"""The streaming exports write exactly what the document exports hold, in bounded memory."""

from __future__ import annotations

import json
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import pytest

from onestop.domain.catalogue.model import Catalogue
from onestop.interop import cpsv, open311
from onestop.usecases.catalogue.loading import load_catalogue

ROOT = Path(__file__).parents[2]
AT = datetime(2025, 6, 2, tzinfo=UTC)


@pytest.fixture(scope="module")
def jakarta() -> Catalogue:
    """The Jakarta sample catalogue."""
    return load_catalogue(ROOT / "examples" / "jakarta")


@pytest.mark.parametrize("indent", [2, None, 0])
def test_cpsv_stream_is_the_document_as_json_dumps_writes_it(
    jakarta: Catalogue, indent: int | None
) -> None:
    """iter_jsonld's pieces join to json.dumps(to_jsonld(...)), byte for byte."""
    whole = json.dumps(cpsv.to_jsonld(jakarta, at=AT), ensure_ascii=False, indent=indent)
    assert "".join(cpsv.iter_jsonld(jakarta, at=AT, indent=indent)) == whole


@pytest.mark.parametrize("indent", [2, None])
def test_open311_streams_are_the_lists_as_json_dumps_writes_them(
    jakarta: Catalogue, indent: int | None
) -> None:
    """iter_services and iter_service_definitions join to json.dumps of the lists."""
    for listed, streamed in (
        (open311.services, open311.iter_services),
        (open311.service_definitions, open311.iter_service_definitions),
    ):
        whole = json.dumps(listed(jakarta, at=AT), ensure_ascii=False, indent=indent)
        assert "".join(streamed(jakarta, at=AT, indent=indent)) == whole


def test_an_empty_catalogue_streams_an_empty_graph(jakarta: Catalogue) -> None:
    """With no service in effect, the streams still give valid JSON equal to the documents."""
    long_ago = datetime(1990, 1, 1, tzinfo=UTC)
    assert json.loads("".join(open311.iter_services(jakarta, at=long_ago))) == []
    assert "".join(cpsv.iter_jsonld(jakarta, at=long_ago)) == json.dumps(
        cpsv.to_jsonld(jakarta, at=long_ago), ensure_ascii=False, indent=2
    )


def many_services(catalogue: Catalogue, copies: int) -> Catalogue:
    """*catalogue* with each of its services repeated *copies* times under new codes."""
    import attrs

    services = tuple(
        attrs.evolve(service, code=f"{service.code}-{n}")
        for n in range(copies)
        for service in catalogue.services
    )
    return attrs.evolve(catalogue, services=services)


def test_streaming_holds_a_fraction_of_what_the_document_holds(jakarta: Catalogue) -> None:
    """Writing 1,000+ services holds less than a quarter of the memory the text takes."""
    big = many_services(jakarta, 50)
    size = 0
    tracemalloc.start()
    try:
        for chunk in cpsv.iter_jsonld(big, at=AT):
            size += len(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(big.services) >= 1000
    assert peak < size / 4
