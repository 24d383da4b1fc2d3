"""Exports of a large catalogue (issue 13): streaming against the whole document in memory.

Workload: a catalogue of 10,000 services (2,000 with ``--quick``) in two languages,
across 20 agencies with a phone, an e-mail and a website each, every service with a
description, keywords, a life event, a law, two requirements, a fee, an output, two
channels (one with its own service norm) and a three-field form.  The catalogue is
built before timing.

Each export is written to a sink that only counts characters, as a file would take
them, in two ways:

* **streaming** (onestop now): `cpsv.iter_jsonld`, `open311.iter_services` and
  `open311.iter_service_definitions`, whose pieces are written as they come;
* **document** (the peer, how the command line wrote them before): `cpsv.to_jsonld`,
  `open311.services` or `open311.service_definitions`, then
  ``json.dumps(..., ensure_ascii=False, indent=2)`` of the whole value.

Both give the same text (checked).  Time is the best of a few runs (garbage collector
paused); memory is `tracemalloc`'s peak during one run, the catalogue excluded.
"""

from __future__ import annotations

import gc
import json
import tracemalloc
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime

from _benchlib import Result, best_seconds, comparison

from onestop.domain.catalogue.model import (
    Agency,
    AgencyKind,
    Catalogue,
    ChannelKind,
    ChannelVariant,
    Choice,
    ContactKind,
    ContactPoint,
    EvidenceType,
    Fee,
    FieldType,
    FormField,
    LegalResource,
    LifeEvent,
    Output,
    Requirement,
    Service,
    ServiceKind,
    VersionStatus,
)
from onestop.domain.common.text import LocalizedText
from onestop.domain.common.values import Duration
from onestop.interop import cpsv, open311

AT = datetime(2025, 6, 2, tzinfo=UTC)
AGENCIES = 20


def _text(indonesian: str, english: str) -> LocalizedText:
    return LocalizedText.of(id=indonesian, en=english)


def catalogue(size: int) -> Catalogue:
    """A catalogue of *size* services shaped as the module docstring says."""
    agencies = tuple(
        Agency(
            code=f"agency-{a}",
            name=_text(f"Dinas {a}", f"Office {a}"),
            kind=AgencyKind.REGIONAL,
            time_zone="Asia/Jakarta",
            contacts=(
                ContactPoint(kind=ContactKind.PHONE, value=f"+62 21 555 {a:04d}"),
                ContactPoint(kind=ContactKind.EMAIL, value=f"info{a}@example.go.id"),
                ContactPoint(kind=ContactKind.WEBSITE, value=f"https://a{a}.example.go.id"),
            ),
        )
        for a in range(AGENCIES)
    )
    form = (
        FormField(name="full_name", label=_text("Nama", "Name"), type=FieldType.TEXT),
        FormField(
            name="kind",
            label=_text("Jenis", "Kind"),
            type=FieldType.CHOICE,
            choices=(
                Choice(value="new", label=_text("Baru", "New")),
                Choice(value="renewal", label=_text("Perpanjangan", "Renewal")),
            ),
        ),
        FormField(
            name="card",
            label=_text("Kartu", "Card"),
            type=FieldType.DOCUMENT,
            evidence_type="ktp",
            required=True,
        ),
    )
    services = tuple(
        Service(
            code=f"service-{n}",
            version=1,
            status=VersionStatus.PUBLISHED,
            effective_from=date(2024, 1, 1),
            agency=f"agency-{n % AGENCIES}",
            name=_text(f"Layanan {n}", f"Service {n}"),
            description=_text(f"Layanan nomor {n} bagi warga", f"Service number {n} for residents"),
            kind=ServiceKind.LICENSING,
            time_limit=Duration.working_days(10),
            service_norm=Duration.working_days(5),
            keywords=("izin", "licence"),
            life_events=("business",),
            legal_basis=("perda-12",),
            requirements=(
                Requirement(code="id", evidence_type="ktp"),
                Requirement(code="deed", evidence_type="deed"),
            ),
            fees=(Fee(code="stamp", label=_text("Meterai", "Stamp"), currency="IDR", amount=1),),
            outputs=(Output(code="permit", name=_text("Izin", "Permit")),),
            channels=(
                ChannelVariant(channel=ChannelKind.COUNTER),
                ChannelVariant(channel=ChannelKind.ONLINE, service_norm=Duration.working_hours(8)),
            ),
            form=form,
        )
        for n in range(size)
    )
    return Catalogue(
        name=_text("Mal", "Mall"),
        languages=("id", "en"),
        agencies=agencies,
        evidence_types=(
            EvidenceType(code="ktp", name=_text("KTP", "Identity card")),
            EvidenceType(code="deed", name=_text("Akta", "Deed")),
        ),
        legal_resources=(
            LegalResource(
                code="perda-12",
                title=_text("Perda 12", "Bylaw 12"),
                uri="https://peraturan.example.go.id/perda/12",
            ),
        ),
        life_events=(LifeEvent(code="business", name=_text("Usaha", "Business")),),
        services=services,
    )


class _Sink:
    """A text stream that keeps nothing: it counts the characters written."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, text: str) -> int:
        self.size += len(text)
        return len(text)


def _streamed(chunks: Callable[[], Iterable[str]]) -> Callable[[], int]:
    def work() -> int:
        sink = _Sink()
        for chunk in chunks():
            sink.write(chunk)
        return sink.size

    return work


def _whole(document: Callable[[], object]) -> Callable[[], int]:
    def work() -> int:
        sink = _Sink()
        sink.write(json.dumps(document(), ensure_ascii=False, indent=2))
        return sink.size

    return work


def _peak_bytes(work: Callable[[], object]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _same_text(stream: Callable[[], Iterable[str]], document: Callable[[], object]) -> None:
    streamed = "".join(stream())
    whole = json.dumps(document(), ensure_ascii=False, indent=2)
    if streamed != whole:
        raise AssertionError("the streaming export differs from the document export")


def run(quick: bool, size: int | None = None) -> list[Result]:
    """Time and measure the three exports, streaming and whole, on one catalogue."""
    services = size if size is not None else (2_000 if quick else 10_000)
    repeats = 2 if quick else 3
    built = catalogue(services)
    peer = f"the whole document, then json.dumps(indent=2) ({services:,} services)"
    exports = {
        "cpsv": (
            lambda: cpsv.iter_jsonld(built, at=AT),
            lambda: cpsv.to_jsonld(built, at=AT),
        ),
        "open311_services": (
            lambda: open311.iter_services(built, at=AT),
            lambda: open311.services(built, at=AT),
        ),
        "open311_definitions": (
            lambda: open311.iter_service_definitions(built, at=AT),
            lambda: open311.service_definitions(built, at=AT),
        ),
    }
    results: list[Result] = []
    for name, (stream, document) in exports.items():
        _same_text(stream, document)
        streaming, whole = _streamed(stream), _whole(document)
        stream_seconds = best_seconds(streaming, repeats=repeats)
        whole_seconds = best_seconds(whole, repeats=repeats)
        results.append(
            comparison(
                f"exports.{name}_seconds_vs_document",
                value=stream_seconds,
                unit="s",
                peer=peer,
                peer_value=whole_seconds,
                at_most=0.75 if name == "cpsv" else None,
            )
        )
        results.append(
            comparison(
                f"exports.{name}_peak_bytes_vs_document",
                value=_peak_bytes(streaming),
                unit="bytes",
                peer=peer,
                peer_value=_peak_bytes(whole),
                at_most=0.1 if name == "cpsv" else None,
            )
        )
    return results
