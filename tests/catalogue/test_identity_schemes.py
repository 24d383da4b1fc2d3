"""Identity schemes declared in catalogue files: loaded, checked all at once, used by the mall."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from onestop import Actor, Mall, Person, load_catalogue
from onestop.domain.common.parties import IdentityValidators, default_validators
from onestop.exceptions import (
    ConfigurationError,
    InvalidApplication,
    InvalidCatalogue,
    UnknownIdentityScheme,
)
from onestop.storage import MemoryStore
from onestop.usecases.catalogue.identity import identity_validators, stdnum_check
from onestop.usecases.catalogue.loading import catalogue_from_data, dump_catalogue, read_catalogue

MINIMAL = Path(__file__).parent / "valid" / "minimal.toml"

# A made-up country's registry office, its one service and workflow: nothing from examples/.
MALL_FILES = {
    "catalogue.toml": """
[catalogue]
name = { fr = "Guichet unique", en = "One-stop shop" }
languages = ["fr", "en"]

[[agencies]]
code = "etat-civil"
name = { fr = "Service de l'état civil", en = "Civil registry" }
kind = "regional"
time_zone = "Africa/Dakar"
""",
    "identity.toml": """
[[identity_schemes]]
code = "xx-nin"
name = { fr = "Numéro d'identification national", en = "National identification number" }
pattern = "[12][0-9]{12}"
length = 13
strip = " -."
checksum = "verhoeff"

[[identity_schemes]]
code = "xx-tin"
name = { fr = "Numéro fiscal", en = "Tax number" }
min_length = 8
max_length = 9
stdnum = "nl.bsn"
""",
    "services.toml": """
[[services]]
code = "birth-extract"
version = 1
status = "published"
effective_from = 2024-01-01
agency = "etat-civil"
name = { fr = "Extrait d'acte de naissance", en = "Birth certificate extract" }
kind = "non_licensing"
time_limit = "2 working days"
service_norm = "1 working day"
workflow = "simple"

[[services.channels]]
channel = "counter"
""",
    "workflows.toml": """
[[workflows]]
code = "simple"
version = 1
name = { fr = "Simple", en = "Simple" }
roles = ["clerk", "applicant"]

[[workflows.states]]
name = "received"
kind = "initial"
label = { fr = "Reçue", en = "Received" }

[[workflows.states]]
name = "issued"
kind = "success"
label = { fr = "Délivrée", en = "Issued" }

[[workflows.transitions]]
action = "issue"
sources = ["received"]
target = "issued"
roles = ["clerk"]
label = { fr = "Délivrer", en = "Issue" }
""",
}
CITIZEN = Actor(id="citizen-1", roles={"applicant"})


class FixedClock:
    """A clock stopped on a working morning in Dakar."""

    def now(self) -> datetime:
        return datetime(2025, 3, 4, 9, 0, tzinfo=UTC)


def write(directory: Path, files: dict[str, str]) -> Path:
    """Write *files* into *directory* and return it."""
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory


def verhoeff_complete(body: str) -> str:
    """*body* with the Verhoeff check digit that makes it valid."""
    from onestop.domain.common.checksums import checksum_problem

    return next(body + d for d in "0123456789" if checksum_problem("verhoeff", body + d) is None)


@pytest.fixture
def mall(tmp_path: Path) -> Mall:
    return Mall(
        catalogue=load_catalogue(write(tmp_path, MALL_FILES)),
        store=MemoryStore(),
        clock=FixedClock(),
    )


def submit(mall: Mall, scheme: str, number: str) -> str:
    person = Person.of(identity_number=number, identity_scheme=scheme, name="Awa Ndiaye")
    receipt = mall.submit(
        "birth-extract", channel="counter", applicant=person, answers={}, actor=CITIZEN
    )
    return receipt.application_id


def test_a_mall_from_files_only_accepts_a_valid_number_of_a_declared_scheme(mall: Mall) -> None:
    """A mall built from TOML written here accepts a number passing pattern, length and Verhoeff."""
    number = verhoeff_complete("123456789012")
    written = f"{number[0]} {number[1:5]} {number[5:9]}-{number[9:]}"
    application_id = submit(mall, "xx-nin", written)
    assert mall.application(application_id).state == "received"


def test_a_mall_from_files_only_refuses_a_wrong_check_digit(mall: Mall) -> None:
    """The same mall refuses a number whose Verhoeff check digit is wrong, without quoting it."""
    number = verhoeff_complete("123456789012")
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    with pytest.raises(InvalidApplication) as refused:
        submit(mall, "xx-nin", wrong)
    assert "the check digit is wrong (verhoeff)" in str(refused.value)
    assert wrong not in str(refused.value)


def test_a_stdnum_scheme_from_files_checks_with_python_stdnum(mall: Mall) -> None:
    """A scheme naming a python-stdnum module accepts what it accepts and refuses the rest."""
    submit(mall, "xx-tin", "111222333")
    with pytest.raises(InvalidApplication, match="check digit is wrong"):
        submit(mall, "xx-tin", "111222334")


def test_an_undeclared_scheme_is_still_unknown(mall: Mall) -> None:
    """A scheme neither declared nor a plugin is refused as before."""
    with pytest.raises(InvalidApplication, match="no identity validator for this scheme"):
        submit(mall, "yy-id", "12345")


def test_an_unknown_scheme_is_refused_without_quoting_it(mall: Mall) -> None:
    """The problem of an unknown scheme names the field and the known schemes, never the
    scheme sent: an identity number typed into it does not come back in the error."""
    with pytest.raises(InvalidApplication) as refused:
        submit(mall, "id-3171012501900001", "12345")
    assert [p.path for p in refused.value.problems] == ["applicant.identity_scheme"]
    assert "3171012501900001" not in str(refused.value)
    assert "known: " in refused.value.problems[0].message


def test_the_built_in_validators_keep_working(mall: Mall) -> None:
    """The NIK plugin still checks Indonesian numbers in a mall with declared schemes."""
    submit(mall, "id-nik", "3171011708450001")


def test_a_python_validator_wins_over_a_declaration_of_the_same_code() -> None:
    """Where a plugin and a declaration share a code, the plugin's rules apply."""
    catalogue = load_catalogue(MINIMAL)
    from onestop.domain.catalogue.identity import IdentityScheme
    from onestop.domain.common.text import LocalizedText

    lax = IdentityScheme(code="id-nik", name=LocalizedText({"en": "NIK"}), length=16)
    validators = identity_validators((lax,), default_validators())
    # The plugin refuses a serial 0000 that the declaration alone would let through.
    assert validators.problems("id-nik", "3171011708450000") != []
    assert (
        identity_validators((lax,), IdentityValidators()).problems("id-nik", "3171011708450000")
        == []
    )
    assert catalogue.identity_schemes == ()


def test_an_unknown_scheme_is_refused_by_an_empty_registry() -> None:
    """identity_validators with no declarations and no plugins knows no scheme."""
    with pytest.raises(UnknownIdentityScheme):
        identity_validators((), IdentityValidators()).validate("xx-nin", "1")


def test_the_loader_reports_every_identity_problem_at_once(tmp_path: Path) -> None:
    """Bad regexes, a contradicting length, an unknown checksum or stdnum module, a missing
    translation: one run reports them all, each with its file and path."""
    broken = (
        MINIMAL.read_text(encoding="utf-8")
        + """
[[identity_schemes]]
code = "xx-a"
name = { en = "A" }
pattern = "(a+)+"

[[identity_schemes]]
code = "xx-b"
name = { en = "B", id = "B" }
pattern = "[0-9]{10}"
length = 11
checksum = "crc32"

[[identity_schemes]]
code = "xx-c"
name = { en = "C", id = "C" }
stdnum = "xx.nothing"

[[identity_schemes]]
code = "xx-d"
name = { en = "D", id = "D" }
pattern = "[0-9"
"""
    )
    file = tmp_path / "broken.toml"
    file.write_text(broken, encoding="utf-8")
    _, problems = read_catalogue(file)
    found = {(p.path, p.file) for p in problems}
    for path in (
        "identity_schemes[0].pattern",
        "identity_schemes[0].name",
        "identity_schemes[1].length",
        "identity_schemes[1].checksum",
        "identity_schemes[2].stdnum",
        "identity_schemes[3].pattern",
    ):
        assert (path, str(file)) in found, (path, problems)
    assert len(problems) == 6, problems


def test_a_wrongly_typed_declaration_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    """A length given as text is reported at its path, with the other sections still read."""
    file = tmp_path / "typed.toml"
    file.write_text(
        MINIMAL.read_text(encoding="utf-8")
        + '\n[[identity_schemes]]\ncode = "xx-a"\nname = { en = "A", id = "A" }\nlength = "ten"\n',
        encoding="utf-8",
    )
    _, problems = read_catalogue(file)
    assert [p.path for p in problems] == ["identity_schemes[0].length"]


def test_declared_schemes_survive_a_dump_and_a_load(tmp_path: Path) -> None:
    """dump_catalogue writes the identity schemes and load_catalogue reads them back equal."""
    catalogue = load_catalogue(write(tmp_path, MALL_FILES))
    dumped = tmp_path / "dumped"
    dumped.mkdir()
    (dumped / "catalogue.json").write_text(dump_catalogue(catalogue), encoding="utf-8")
    assert load_catalogue(dumped).identity_schemes == catalogue.identity_schemes


def test_stdnum_check_finds_only_validator_modules() -> None:
    """Only python-stdnum modules with validate and compact are found; other names are None."""
    assert stdnum_check("kr.rrn") is not None
    for name in ("util", "exceptions", "xx.nothing", "../os", "os", "KR.RRN", "", "kr..rrn"):
        assert stdnum_check(name) is None, name


def test_a_mall_refuses_a_stdnum_module_that_does_not_exist() -> None:
    """A declaration built in Python naming a missing stdnum module stops the mall being built."""
    import attrs

    from onestop.domain.catalogue.identity import IdentityScheme
    from onestop.domain.common.text import LocalizedText

    catalogue = load_catalogue(MINIMAL)
    missing = IdentityScheme(
        code="xx-c", name=LocalizedText({"en": "C", "id": "C"}), stdnum="xx.nothing"
    )
    with pytest.raises(ConfigurationError, match=r"no validator module 'xx\.nothing'"):
        Mall(catalogue=attrs.evolve(catalogue, identity_schemes=(missing,)), store=MemoryStore())


def test_invalid_catalogue_lists_identity_problems() -> None:
    """load_catalogue raises InvalidCatalogue naming the identity scheme's path."""
    data = {
        "catalogue": {"name": {"en": "M"}, "languages": ["en"]},
        "identity_schemes": [{"code": "xx-a", "name": {"en": "A"}, "checksum": "nope"}],
    }
    with pytest.raises(InvalidCatalogue, match=r"identity_schemes\[0\]"):
        catalogue_from_data(data, source="memory")


def test_import_onestop_and_a_catalogue_without_stdnum_schemes_load_no_stdnum() -> None:
    """python-stdnum is imported only when a declared scheme names one of its modules."""
    import subprocess
    import sys

    command = (
        "import onestop, sys; onestop.load_catalogue('examples/jakarta');"
        " print('stdnum' in sys.modules)"
    )
    root = Path(__file__).parents[2]
    result = subprocess.run(
        [sys.executable, "-c", command],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        cwd=root,
    )
    assert result.stdout.strip() == "False"


HOW_TO = Path(__file__).parents[2] / "docs" / "how-to" / "identity-numbers.md"


def how_to_schemes() -> dict[str, dict[str, object]]:
    """The identity schemes of the how-to's TOML blocks, by code."""
    import re
    import tomllib

    blocks = re.findall(r"```toml\n(.*?)```", HOW_TO.read_text(encoding="utf-8"), re.DOTALL)
    schemes = [s for block in blocks for s in tomllib.loads(block)["identity_schemes"]]
    return {str(s["code"]): s for s in schemes}


@pytest.mark.parametrize(
    ("code", "valid", "invalid"),
    [
        ("in-aadhaar", "2341 2341 2346", ["2341 2341 2347", "1234 1234 1234"]),
        ("nl-bsn", "1112.22.333", ["111222334", "1112223333"]),
        ("br-cpf", "390.533.447-05", ["231.002.999-00"]),
    ],
)
def test_the_how_to_declarations_do_what_it_says(code: str, valid: str, invalid: list[str]) -> None:
    """Each scheme of the how-to loads without a problem, accepts its valid number and refuses
    the invalid ones."""
    scheme = how_to_schemes()[code]
    data = {
        "catalogue": {"name": scheme["name"], "languages": list(scheme["name"])},  # type: ignore[call-overload]
        "identity_schemes": [scheme],
    }
    catalogue = catalogue_from_data(data, source=str(HOW_TO))
    validators = identity_validators(catalogue.identity_schemes, IdentityValidators())
    assert validators.problems(code, valid) == []
    for number in invalid:
        assert validators.problems(code, number) != [], number


def test_the_how_to_messages_are_the_real_ones() -> None:
    """The refusals the how-to quotes for the Aadhaar example are the messages a mall gives."""
    data = {
        "catalogue": {"name": {"hi": "मॉल", "en": "Mall"}, "languages": ["hi", "en"]},
        "identity_schemes": [how_to_schemes()["in-aadhaar"]],
    }
    catalogue = catalogue_from_data(data, source=str(HOW_TO))
    validators = identity_validators(catalogue.identity_schemes, IdentityValidators())
    text = HOW_TO.read_text(encoding="utf-8")
    for number in ("2341 2341 2347", "1234 1234 1234"):
        (problem,) = validators.problems("in-aadhaar", number)
        assert f"`{problem}`" in text
