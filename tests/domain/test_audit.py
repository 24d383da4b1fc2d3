"""The canonical encoding and the tamper-evident hash chain.

The chain properties follow the reliability plan (T1): every single-entry change,
deletion, insertion or swap is detected and the first bad entry is named.
"""

from __future__ import annotations

import enum
import hashlib
import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from onestop.domain.common.audit import (
    GENESIS,
    ORIGIN,
    ChainReport,
    Checkpoint,
    SealedEntry,
    canonical_bytes,
    chain_hash,
    seal,
    seal_entries,
    verify_chain,
)
from onestop.domain.common.parties import Personal
from onestop.exceptions import AuditError, ChainBroken, ChainError, NotCanonical


class Colour(enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


@attrs.frozen
class Fee:
    amount: Decimal
    currency: str
    note: str = attrs.field(default="", eq=False)


def _containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(), _containers, max_leaves=20
)


class TestCanonicalBytes:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            (None, b"null"),
            (True, b"true"),
            (False, b"false"),
            (0, b"0"),
            (-42, b"-42"),
            (2**70, b"1180591620717411303424"),
            ("", b'""'),
            ('say "hi"\\', b'"say \\"hi\\"\\\\"'),
            ("\b\f\n\r\t\x00\x1f", b'"\\b\\f\\n\\r\\t\\u0000\\u001f"'),
            ("\x7f\u2028é", '"\x7f\u2028é"'.encode()),
            (Decimal("1.50"), b"1.5"),
            (Decimal("15E-1"), b"1.5"),
            (Decimal("-0.00"), b"0"),
            (Decimal("1E+3"), b"1000"),
            (Decimal("-0.0010"), b"-0.001"),
            (date(2024, 2, 29), b'"2024-02-29"'),
            (date(1, 1, 1), b'"0001-01-01"'),
            (
                datetime(2024, 1, 1, 7, tzinfo=ZoneInfo("Asia/Jakarta")),
                b'"2024-01-01T00:00:00.000000Z"',
            ),
            (UUID(int=1), b'"00000000-0000-0000-0000-000000000001"'),
            (Colour.RED, b'"red"'),
            (Level.HIGH, b"3"),
            ((1, [2, ()]), b"[1,[2,[]]]"),
            ({"b": 1, "a": {"d": None, "c": []}}, b'{"a":{"c":[],"d":null},"b":1}'),
            (frozenset({3, 1, 2}), b"[1,2,3]"),
            (Personal("3171011708450001"), b'"3171011708450001"'),
        ],
    )
    def test_known_values_encode_as_expected(self, value: object, expected: bytes) -> None:
        """Each kind of value has one fixed encoding."""
        assert canonical_bytes(value) == expected

    @given(st.text())
    def test_strings_are_escaped_exactly_as_json(self, text: str) -> None:
        """Strings come out as json.dumps writes them without ASCII escaping."""
        assert canonical_bytes(text) == json.dumps(text, ensure_ascii=False).encode()

    @given(json_values)
    def test_the_output_is_json_that_reads_back_to_the_value(self, value: Any) -> None:
        """The bytes are UTF-8 JSON that parses back to an equal value."""
        assert json.loads(canonical_bytes(value)) == value

    @given(json_values)
    def test_the_output_is_compact_json_with_sorted_keys(self, value: Any) -> None:
        """Parsed and dumped compactly with sorted keys, the text is unchanged (BMP keys)."""
        text = canonical_bytes(value).decode()
        assume(all(ord(c) < 0xD800 for c in text))  # Python sorts by code point, JCS by UTF-16
        compact = json.dumps(
            json.loads(text), ensure_ascii=False, sort_keys=True, separators=(",", ":")
        )
        assert text == compact

    @given(st.dictionaries(st.text(), st.integers(), min_size=2), st.randoms())
    def test_key_order_does_not_matter(self, mapping: dict[str, int], rng: Any) -> None:
        """A mapping built in any order encodes to the same bytes."""
        items = list(mapping.items())
        rng.shuffle(items)
        assert canonical_bytes(dict(items)) == canonical_bytes(mapping)

    @given(st.integers(-(10**30), 10**30), st.integers(-20, 20), st.integers(0, 10))
    def test_equal_decimals_encode_alike(self, coefficient: int, exponent: int, zeros: int) -> None:
        """Decimals that compare equal give equal bytes, however many trailing zeros they carry."""
        plain = Decimal(coefficient).scaleb(exponent)
        sign, digits, exp = plain.as_tuple()
        assert isinstance(exp, int)
        padded = Decimal((sign, digits + (0,) * zeros, exp - zeros))
        assert padded == plain
        assert canonical_bytes(padded) == canonical_bytes(plain)
        assert Decimal(canonical_bytes(plain).decode()) == plain

    @given(st.datetimes(timezones=st.just(UTC)), st.integers(-14 * 60, 14 * 60))
    def test_equal_instants_encode_alike_in_any_zone(self, instant: datetime, minutes: int) -> None:
        """The same instant written in another time zone gives the same bytes."""
        zone = timezone(timedelta(minutes=minutes))
        try:
            shifted = instant.astimezone(zone)
        except OverflowError:
            assume(False)
        assert canonical_bytes(shifted) == canonical_bytes(instant)

    def test_keys_are_sorted_by_utf16_code_units(self) -> None:
        """As in RFC 8785, a key beyond the BMP sorts before U+FF61 (its surrogates are lower)."""
        assert (
            canonical_bytes({"\uff61": 1, "\U0001f600": 2})
            == '{"\U0001f600":2,"\uff61":1}'.encode()
        )

    def test_attrs_instances_encode_their_compared_fields(self) -> None:
        """An attrs instance is an object of its fields by name, leaving out eq=False ones."""
        fee = Fee(amount=Decimal("50000.00"), currency="IDR", note="ignored")
        assert canonical_bytes(fee) == b'{"amount":50000,"currency":"IDR"}'

    def test_sets_encode_whatever_their_order(self) -> None:
        """Equal sets give equal bytes."""
        assert canonical_bytes({"b", "a", "c"}) == canonical_bytes(frozenset(["c", "a", "b"]))

    def test_a_float_is_refused_with_its_path(self) -> None:
        """A float anywhere is refused with NotCanonical naming where it is."""
        with pytest.raises(NotCanonical, match=r"^\$\.fees\[1\]\.amount: floats") as caught:
            canonical_bytes({"fees": [{"amount": 1}, {"amount": 0.5}]})
        assert caught.value.path == "$.fees[1].amount"
        assert isinstance(caught.value, ValueError)
        assert isinstance(caught.value, AuditError)

    def test_a_refusal_inside_personal_data_does_not_spell_out_the_path(self) -> None:
        """Keys inside a Personal value stay out of the error's path."""
        with pytest.raises(NotCanonical) as caught:
            canonical_bytes({"applicant": Personal({"secret-key": [0.5]})})
        assert caught.value.path == "$.applicant"
        assert "secret" not in str(caught.value)

    @pytest.mark.parametrize(
        ("value", "reason"),
        [
            (datetime(2024, 1, 1), "without a time zone"),  # noqa: DTZ001 - the point of the test
            (Decimal("NaN"), "NaN"),
            (Decimal("Infinity"), "NaN and infinities"),
            (Decimal("1E+5000"), "more than 1000 digits"),
            (Decimal("1E-5000"), "more than 1000 digits"),
            (10**1200, "more than 1000 digits"),
            ({1: "a"}, "keys must be strings"),
            ("\ud800", "lone surrogate"),
            ({"\udfff": 1}, "lone surrogate"),
            (b"\x00", "hex string"),
            (object(), "object has no canonical encoding"),
            (datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))), "outside the years"),
        ],
    )
    def test_values_without_a_canonical_form_are_refused(self, value: object, reason: str) -> None:
        """Naive datetimes, NaN, huge numbers, odd keys, surrogates and other types are refused."""
        with pytest.raises(NotCanonical, match=reason):
            canonical_bytes(value)

    def test_deep_nesting_is_refused_not_a_recursion_error(self) -> None:
        """A value nested past the limit raises NotCanonical, not RecursionError."""
        value: list[Any] = []
        for _ in range(500):
            value = [value]
        with pytest.raises(NotCanonical, match="nested more than"):
            canonical_bytes(value)


# --- the hash chain ----------------------------------------------------------------

bodies = st.lists(st.binary(min_size=1, max_size=40), min_size=1, max_size=30)


def build(payloads: list[bytes]) -> list[SealedEntry]:
    """Seal *payloads* as versions 1, 2, ... of one stream."""
    return seal_entries(list(enumerate(payloads, start=1)))


class TestChainHash:
    def test_known_answer(self) -> None:
        """The hash of a first entry is fixed, so stored chains stay verifiable."""
        assert chain_hash(GENESIS, 1, b"{}") == (
            "51ec4f769ca6e9abd8ee8d7511bff0fd4637a9b35197fdd7af2ebd965a84e0d5"
        )

    def test_the_framing_is_as_documented(self) -> None:
        """The hash is SHA-256 over the documented prefix and length-prefixed fields."""
        framed = (
            b"onestop-chain-v1\x00"
            + (64).to_bytes(8, "big")
            + GENESIS.encode()
            + (7).to_bytes(8, "big")
            + (3).to_bytes(8, "big")
            + b"abc"
        )
        assert chain_hash(GENESIS, 7, b"abc") == hashlib.sha256(framed).hexdigest()

    def test_every_input_changes_the_hash(self) -> None:
        """Another previous hash, version or body gives another hash."""
        base = chain_hash(GENESIS, 1, b"a")
        assert base != chain_hash("1" * 64, 1, b"a")
        assert base != chain_hash(GENESIS, 2, b"a")
        assert base != chain_hash(GENESIS, 1, b"b")

    @pytest.mark.parametrize(
        ("previous", "version", "body"),
        [
            ("A" * 64, 1, b""),
            ("0" * 63, 1, b""),
            (GENESIS, 0, b""),
            (GENESIS, True, b""),
            (GENESIS, 2**63, b""),
            (GENESIS, 1, "text"),
        ],
    )
    def test_malformed_inputs_are_refused(self, previous: str, version: int, body: bytes) -> None:
        """A malformed previous hash, a version outside 1..2**63-1 or a str body is refused."""
        with pytest.raises(ChainError):
            chain_hash(previous, version, body)


class TestSeal:
    def test_each_entry_points_to_the_one_before(self) -> None:
        """The first entry follows GENESIS; each later one follows the hash before it."""
        chain = build([b"a", b"b", b"c"])
        assert [e.previous for e in chain] == [GENESIS, chain[0].hash, chain[1].hash]
        assert seal([(1, b"a"), (2, b"b"), (3, b"c")]) == [e.hash for e in chain]

    def test_versions_must_run_on_one_by_one(self) -> None:
        """Sealing versions with a gap raises ChainBroken at the gap."""
        with pytest.raises(ChainBroken, match="entry 1 \\(version 3\\)") as caught:
            seal([(1, b"a"), (3, b"c")])
        assert (caught.value.index, caught.value.version) == (1, 3)

    def test_a_chain_can_be_continued_from_a_checkpoint(self) -> None:
        """Sealing the rest after the head's checkpoint gives the same chain as sealing it all."""
        whole = build([b"a", b"b", b"c", b"d"])
        rest = seal_entries([(3, b"c"), (4, b"d")], after=Checkpoint.of(whole[1]))
        assert rest == whole[2:]

    def test_the_repr_of_an_entry_hides_its_body(self) -> None:
        """An entry's repr gives its body's length, never its bytes (they may be personal)."""
        entry = build([b"3171011708450001"])[0]
        assert "3171011708450001" not in repr(entry)
        assert "<16 bytes>" in repr(entry)

    def test_a_checkpoint_must_be_well_formed(self) -> None:
        """A checkpoint needs a version from 0 and a 64-digit lower-case hex hash."""
        with pytest.raises(ChainError):
            Checkpoint(-1, GENESIS)
        with pytest.raises(ChainError):
            Checkpoint(1, "abc")


class TestVerifyChain:
    @given(bodies)
    def test_an_untouched_chain_verifies(self, payloads: list[bytes]) -> None:
        """A chain as sealed verifies, with and without its head as anchor."""
        chain = build(payloads)
        assert verify_chain(chain) == ChainReport(ok=True)
        assert verify_chain(chain, anchor=Checkpoint.of(chain[-1])).ok

    @given(bodies, st.data())
    def test_changing_one_byte_names_that_entry(
        self, payloads: list[bytes], data: st.DataObject
    ) -> None:
        """Flipping any bits of any byte of one body names that entry as altered."""
        chain = build(payloads)
        index = data.draw(st.integers(0, len(chain) - 1))
        body = bytearray(chain[index].body)
        position = data.draw(st.integers(0, len(body) - 1))
        body[position] ^= data.draw(st.integers(1, 255))
        chain[index] = attrs.evolve(chain[index], body=bytes(body))
        report = verify_chain(chain)
        assert (report.ok, report.first_bad, report.version) == (False, index, index + 1)
        assert report.problem is not None
        assert "altered" in report.problem

    @given(bodies.filter(lambda p: len(p) > 1), st.data())
    def test_deleting_an_entry_names_the_one_after_the_gap(
        self, payloads: list[bytes], data: st.DataObject
    ) -> None:
        """Removing any entry but the last names the entry now at its place."""
        chain = build(payloads)
        index = data.draw(st.integers(0, len(chain) - 2))
        del chain[index]
        report = verify_chain(chain)
        assert (report.ok, report.first_bad, report.version) == (False, index, index + 2)

    @given(bodies)
    def test_deleting_the_last_entry_needs_an_anchor(self, payloads: list[bytes]) -> None:
        """Cutting off the last entry passes unanchored; an anchor at the old head catches it."""
        chain = build(payloads)
        anchor = Checkpoint.of(chain[-1])
        shortened = chain[:-1]
        assert verify_chain(shortened).ok
        report = verify_chain(shortened, anchor=anchor)
        assert (report.ok, report.first_bad, report.version) == (False, len(shortened), len(chain))

    @given(bodies, bodies, st.data())
    def test_inserting_a_foreign_entry_names_it(
        self, payloads: list[bytes], foreign_payloads: list[bytes], data: st.DataObject
    ) -> None:
        """An entry of another chain, sound on its own, inserted anywhere is named where it is.

        Unanchored, one case is in doubt and says so: two entries claiming the last place.
        """
        chain = build(payloads)
        foreign = data.draw(st.sampled_from(build(foreign_payloads)))
        position = data.draw(st.integers(0, len(chain)))
        assume(foreign not in chain)
        # A chain sharing our first entries can hold a true continuation: appending it is fine.
        assume(not (position == len(chain) and foreign.previous == chain[-1].hash))
        tampered = [*chain[:position], foreign, *chain[position:]]
        report = verify_chain(tampered, anchor=Checkpoint.of(chain[-1]))
        assert (report.ok, report.first_bad) == (False, position)
        unanchored = verify_chain(tampered)
        assert unanchored.problem is not None
        assert unanchored.first_bad == position or "would tell which" in unanchored.problem

    @given(bodies, st.binary(), st.data())
    def test_inserting_a_forged_continuation_names_it(
        self, payloads: list[bytes], forged_body: bytes, data: st.DataObject
    ) -> None:
        """An entry forged to follow the entries before it perfectly is still named."""
        chain = build(payloads)
        position = data.draw(st.integers(0, len(chain) - 1))
        previous = chain[position - 1].hash if position else GENESIS
        forged = SealedEntry(
            position + 1, forged_body, chain_hash(previous, position + 1, forged_body), previous
        )
        assume(forged != chain[position])
        tampered = [*chain[:position], forged, *chain[position:]]
        report = verify_chain(tampered, anchor=Checkpoint.of(chain[-1]))
        assert (report.ok, report.first_bad) == (False, position)

    @given(bodies.filter(lambda p: len(p) > 1), st.data())
    def test_swapping_two_entries_names_the_earlier(
        self, payloads: list[bytes], data: st.DataObject
    ) -> None:
        """Swapping any two entries names the earlier of the two positions."""
        chain = build(payloads)
        first, second = sorted(
            data.draw(st.lists(st.integers(0, len(chain) - 1), min_size=2, max_size=2, unique=True))
        )
        chain[first], chain[second] = chain[second], chain[first]
        report = verify_chain(chain)
        assert (report.ok, report.first_bad) == (False, first)

    @given(bodies.filter(lambda p: len(p) > 1), st.data())
    def test_a_replayed_entry_is_named(self, payloads: list[bytes], data: st.DataObject) -> None:
        """An entry stored twice in a row is named at its second copy."""
        chain = build(payloads)
        index = data.draw(st.integers(0, len(chain) - 1))
        tampered = [*chain[: index + 1], chain[index], *chain[index + 1 :]]
        report = verify_chain(tampered)
        assert (report.ok, report.first_bad) == (False, index + 1)
        assert report.problem is not None
        assert "copy" in report.problem

    def test_every_position_of_a_long_chain_is_named_for_every_kind_of_tampering(self) -> None:
        """On a 200-entry chain, every change, deletion, insertion and swap is named where it is."""
        chain = build([f"entry {n}".encode() for n in range(200)])
        stranger = build([b"stranger"] * 300)
        anchor = Checkpoint.of(chain[-1])
        for i, entry in enumerate(chain):
            altered = [*chain[:i], attrs.evolve(entry, body=entry.body + b"!"), *chain[i + 1 :]]
            deleted = [*chain[:i], *chain[i + 1 :]]
            inserted = [*chain[:i], stranger[i], *chain[i:]]
            swapped = [*chain[:i], *chain[i + 1 : i + 2], entry, *chain[i + 2 :]]
            assert verify_chain(altered).first_bad == i
            assert verify_chain(deleted, anchor=anchor).first_bad == i
            assert verify_chain(inserted, anchor=anchor).first_bad == i
            if i + 1 < len(chain):
                assert verify_chain(swapped).first_bad == i

    def test_a_second_first_entry_in_a_one_entry_chain_is_in_doubt_without_an_anchor(self) -> None:
        """Two first entries and nothing after them: the earlier is named, and the doubt said."""
        original, impostor = build([b"real"])[0], build([b"fake"])[0]
        report = verify_chain([impostor, original])
        assert report.first_bad == 0
        assert report.problem is not None
        assert "would tell which" in report.problem
        assert verify_chain([impostor, original], anchor=Checkpoint.of(original)).first_bad == 0
        assert verify_chain([original, impostor], anchor=Checkpoint.of(original)).first_bad == 1

    def test_one_entry_rewritten_with_a_new_hash_is_named(self) -> None:
        """An entry whose body and hash were both changed is named from the next entry's link."""
        chain = build([b"a", b"b", b"c", b"d"])
        chain[1] = seal_entries([(2, b"B")], after=Checkpoint.of(chain[0]))[0]
        report = verify_chain(chain)
        assert (report.first_bad, report.version) == (1, 2)
        assert report.problem is not None
        assert "rewritten" in report.problem

    @given(bodies.filter(lambda p: len(p) > 1), st.data())
    def test_a_rewritten_tail_is_only_caught_by_an_anchor(
        self, payloads: list[bytes], data: st.DataObject
    ) -> None:
        """Rewriting from some entry on and recomputing every hash passes unanchored only."""
        chain = build(payloads)
        start = data.draw(st.integers(0, len(chain) - 1))
        after = Checkpoint.of(chain[start - 1]) if start else ORIGIN
        rewritten = [
            *chain[:start],
            *seal_entries([(e.version, e.body + b"!") for e in chain[start:]], after=after),
        ]
        assert verify_chain(rewritten).ok
        report = verify_chain(rewritten, anchor=Checkpoint.of(chain[-1]))
        assert (report.ok, report.first_bad) == (False, len(chain) - 1)

    def test_part_of_a_chain_verifies_from_a_checkpoint(self) -> None:
        """Entries after a checkpoint verify on their own when given it as the start."""
        chain = build([b"a", b"b", b"c"])
        assert verify_chain(chain[1:], after=Checkpoint.of(chain[0])).ok
        assert verify_chain(chain[1:]).first_bad == 0

    def test_an_empty_chain_verifies_unless_an_anchor_says_otherwise(self) -> None:
        """No entries is a valid chain, but not when an anchor expects some."""
        assert verify_chain([]).ok
        anchor = Checkpoint.of(build([b"a"])[0])
        assert verify_chain([], anchor=anchor) == ChainReport(
            ok=False,
            first_bad=0,
            version=1,
            problem=(
                "the chain ends at version 0, before the anchor at version 1 "
                "(entries removed from the end)"
            ),
        )

    def test_an_anchor_before_the_start_is_refused(self) -> None:
        """An anchor at or before the start checkpoint raises ChainError."""
        chain = build([b"a", b"b"])
        with pytest.raises(ChainError, match="later version"):
            verify_chain(chain[1:], after=Checkpoint.of(chain[0]), anchor=Checkpoint.of(chain[0]))

    def test_a_malformed_entry_is_named(self) -> None:
        """An entry with an upper-case hash is reported, not raised."""
        chain = build([b"a", b"b"])
        chain[1] = attrs.evolve(chain[1], hash=chain[1].hash.upper())
        report = verify_chain(chain)
        assert (report.first_bad, report.problem) == (1, "malformed entry (version, hash or body)")

    def test_a_report_raises_chain_broken_on_request(self) -> None:
        """raise_for_problem raises ChainBroken for a broken chain and nothing for a sound one."""
        chain = build([b"a", b"b", b"c"])
        verify_chain(chain).raise_for_problem()
        with pytest.raises(
            ChainBroken, match="entry 1 \\(version 3\\): version 3 follows 1"
        ) as caught:
            verify_chain([chain[0], chain[2]]).raise_for_problem()
        assert caught.value.index == 1


class TestHostileArguments:
    def test_something_other_than_an_entry_is_named_not_raised(self) -> None:
        """A value that is not a SealedEntry in the sequence is reported as malformed, by index."""
        chain: list[Any] = build([b"a", b"b"])
        chain[1] = (2, b"b")
        report = verify_chain(chain)
        assert (report.first_bad, report.version) == (1, None)
        assert report.problem == "malformed entry (version, hash or body)"

    def test_a_non_entry_after_a_fork_is_named_not_raised(self) -> None:
        """Two entries claiming one version, followed by a non-entry, give a report."""
        chain: list[Any] = build([b"a", b"b"])
        twin = seal_entries([(2, b"c")], after=Checkpoint.of(chain[0]))[0]
        report = verify_chain([chain[0], chain[1], twin, "not an entry"])
        assert report.first_bad == 1

    @pytest.mark.parametrize("entries", [5, "entries", b"\x00", None])
    def test_entries_must_be_a_sequence(self, entries: Any) -> None:
        """Entries that are not a sequence of entries raise ChainError naming them."""
        with pytest.raises(ChainError, match=r"^entries must be a sequence"):
            verify_chain(entries)
        with pytest.raises(ChainError, match=r"^entries must be a sequence"):
            seal_entries(entries)

    @pytest.mark.parametrize("pair", [5, (1,), (True, b"a"), ("1", b"a"), (2**64, b"a")])
    def test_each_sealed_pair_is_a_version_and_a_body(self, pair: Any) -> None:
        """A pair that is not ``(version, body)`` with an integer version raises ChainError."""
        with pytest.raises(ChainError, match=r"^entries\[0\]"):
            seal_entries([pair])

    @pytest.mark.parametrize("start", [0, "origin", None, GENESIS])
    def test_the_start_and_the_anchor_are_checkpoints(self, start: Any) -> None:
        """A start or an anchor that is not a Checkpoint raises ChainError naming it."""
        with pytest.raises(ChainError, match=r"^after must be a Checkpoint"):
            verify_chain([], after=start)
        with pytest.raises(ChainError, match=r"^anchor must be a Checkpoint"):
            verify_chain([], anchor=start or 0)

    def test_a_checkpoint_is_taken_at_an_entry(self) -> None:
        """Checkpoint.of something that is not an entry raises ChainError."""
        with pytest.raises(ChainError, match=r"^a checkpoint is taken at a SealedEntry"):
            Checkpoint.of((1, GENESIS))  # type: ignore[arg-type]

    def test_the_repr_of_a_malformed_entry_works(self) -> None:
        """An entry whose body is not bytes still has a repr, naming the body's type."""
        assert "<text>" in repr(SealedEntry(1, "body", GENESIS, GENESIS))  # type: ignore[arg-type]
