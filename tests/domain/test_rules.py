"""The rule language: parsing, its safety limits, and evaluation with explanations."""

from __future__ import annotations

import contextlib
import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onestop.domain.catalogue.rules import Explanation, Rule, parse_rule
from onestop.exceptions import CatalogueError, InvalidValue, RuleSyntaxError

EXAMPLES = [
    'business_type == "pt" and capital >= 100000000',
    '"export" in activities',
    "not has_npwp",
    'vehicle_age > 5 or ownership in ["company", "lease"]',
    "is_set(npwp_number)",
    "birth_date < 2008-01-01",
]


def holds(source: str, **answers: object) -> bool:
    return parse_rule(source).evaluate(answers).value


def because(source: str, **answers: object) -> str:
    return parse_rule(source).evaluate(answers).text


class TestParsing:
    @pytest.mark.parametrize("source", EXAMPLES)
    def test_examples_parse_and_keep_their_text(self, source: str) -> None:
        """Each documented example parses, and its source is the text as written."""
        assert parse_rule(source).source == source

    def test_str_is_the_source(self) -> None:
        """str() of a rule is its source."""
        assert str(parse_rule("not has_npwp")) == "not has_npwp"

    def test_whitespace_is_normalised(self) -> None:
        """Whitespace between tokens is normalised; whitespace inside strings is kept."""
        rule = parse_rule('  a==1\n and(b  !=  "x  y")')
        assert rule.source == 'a == 1 and (b != "x  y")'

    def test_numbers_keep_their_scale_but_not_leading_zeros(self) -> None:
        """Numbers are Decimals: 1.50 keeps its scale, 007 is written 7."""
        assert (
            parse_rule("a == 1.50 or b == 007 or c > -3").source == "a == 1.50 or b == 7 or c > -3"
        )

    def test_escapes_in_strings_round_trip(self) -> None:
        """Escaped quotes and backslashes survive parsing and printing."""
        rule = parse_rule(r'name == "say \"hi\" \\ bye"')
        assert rule.evaluate({"name": 'say "hi" \\ bye'}).value
        assert parse_rule(rule.source) == rule

    def test_fields_lists_every_referenced_field(self) -> None:
        """fields() names each field the rule reads, wherever it appears."""
        rule = parse_rule('a == 1 or (not b and "x" in c) or 5 < d or e in [1] or is_set(f) or g')
        assert rule.fields() == frozenset("abcdefg")

    def test_same_text_gives_equal_hashable_rules(self) -> None:
        """Rules parsed from equivalent text are equal and hash alike."""
        assert parse_rule("a==1") == parse_rule("a == 1")
        assert len({parse_rule("a==1"), parse_rule(" a == 1 ")}) == 1

    def test_true_is_not_the_number_one(self) -> None:
        """A boolean literal and the number 1 give different rules."""
        assert parse_rule("a == true") != parse_rule("a == 1")

    def test_rule_repr_shows_the_source(self) -> None:
        """repr() shows the source and hides the parsed tree."""
        assert repr(parse_rule("a")) == "Rule(source='a')"


SYNTAX_ERRORS = [
    ("", "empty rule"),
    ("   ", "empty rule"),
    ('a == "open', "unterminated string"),
    ('a == "ends in backslash\\', "unterminated string"),
    (r'a == "tab\t"', "unknown escape"),
    ("a == 1 ; b", "unexpected character ';'"),
    ("a = 1", "use '=='"),
    ("A == 1", "lowercase"),
    ("a == 1e5", "malformed number"),
    ("a == 1.", "malformed number"),
    ("a == 2023-02-29", "not a valid date"),
    ("a == 2023-2-1", "malformed number"),
    ("a == nan", "compare a field with a value"),
    ("a == 1 b", "unexpected 'b'"),
    ('1 == "1"', "compare a field with a value"),
    ("a == b", "compare a field with a value"),
    ("true", "a value alone is not a condition"),
    ("a == [1]", "a list can only follow 'in'"),
    ("[1] in a", "a list can only follow 'in'"),
    ("a in [1, [2]]", "a list holds only values"),
    ("a in [1 2]", "expected ',' or ']'"),
    ("a in 1", "needs a list"),
    ("a in b", "compare a field with a value"),
    ("1 in a", "only text can be looked for"),
    ('a < "b"', "needs a number or a date"),
    ("a >= true", "needs a number or a date"),
    ("len(a)", "unknown function 'len'"),
    ("is_set(1)", "takes one field name"),
    ("(a", "expected ')'"),
    ("a and", "expected a field or a value"),
    ("a not in [1]", "write 'not x in [...]'"),
    ("a == 1 == 2", "unexpected '=='"),
]


class TestSyntaxErrors:
    @pytest.mark.parametrize(("source", "reason"), SYNTAX_ERRORS)
    def test_bad_rules_are_refused_with_a_reason(self, source: str, reason: str) -> None:
        """Each malformed rule raises RuleSyntaxError saying what is wrong."""
        with pytest.raises(RuleSyntaxError) as caught:
            parse_rule(source)
        assert reason in caught.value.reason

    def test_error_carries_expression_position_and_reason(self) -> None:
        """The error names the rule, the offset of the problem and the reason."""
        with pytest.raises(RuleSyntaxError) as caught:
            parse_rule("a == 1 and $")
        error = caught.value
        assert (error.expression, error.position) == ("a == 1 and $", 11)
        assert str(error) == "unexpected character '$' at position 11 in rule 'a == 1 and $'"

    def test_error_is_a_catalogue_error_and_a_value_error(self) -> None:
        """RuleSyntaxError can be caught as CatalogueError or ValueError."""
        with pytest.raises(RuleSyntaxError) as caught:
            parse_rule("")
        assert isinstance(caught.value, CatalogueError)
        assert isinstance(caught.value, ValueError)

    def test_source_over_1000_characters_is_refused(self) -> None:
        """A rule longer than 1000 characters is refused before tokenizing."""
        with pytest.raises(RuleSyntaxError, match="longer than 1000"):
            parse_rule("a == " + "1" * 996)

    def test_more_than_200_tokens_are_refused(self) -> None:
        """A rule of more than 200 tokens is refused."""
        with pytest.raises(RuleSyntaxError, match="more than 200 tokens"):
            parse_rule(" and ".join(["a"] * 101))

    @pytest.mark.parametrize("source", ["(" * 21 + "a" + ")" * 21, "not " * 21 + "a"])
    def test_nesting_deeper_than_20_is_refused(self, source: str) -> None:
        """Parentheses or 'not' nested more than 20 deep are refused."""
        with pytest.raises(RuleSyntaxError, match="nested deeper than 20"):
            parse_rule(source)

    def test_nesting_of_20_is_allowed(self) -> None:
        """Exactly 20 levels of parentheses and 'not' together still parse."""
        assert holds("not " * 10 + "(" * 10 + "a" + ")" * 10, a=True)

    @pytest.mark.parametrize("source", ["(" * 10_000, "not " * 10_000 + "a", "[" * 10_000])
    def test_huge_nesting_never_reaches_the_recursion_limit(self, source: str) -> None:
        """Pathological nesting raises RuleSyntaxError, never RecursionError."""
        with pytest.raises(RuleSyntaxError):
            parse_rule(source)

    @pytest.mark.parametrize(
        ("source", "position"),
        [('a == "\ud800"', 6), ('a == "x\x00"', 7), ('"\x1b[2J" in a', 1), ("a ==\x0b1", 4)],
    )
    def test_lone_surrogates_and_control_characters_are_refused(
        self, source: str, position: int
    ) -> None:
        """A lone surrogate or a control character, even inside a string, is a syntax error."""
        with pytest.raises(RuleSyntaxError, match="is not allowed in a rule") as caught:
            parse_rule(source)
        assert caught.value.position == position
        str(caught.value).encode("utf-8")

    @pytest.mark.parametrize("digit", ["\u0661", "\uff11", "\u17e1"])
    def test_digits_of_other_scripts_are_not_numbers(self, digit: str) -> None:
        """A number in rules is written with ASCII digits; another script's digit is refused."""
        with pytest.raises(RuleSyntaxError, match="unexpected character"):
            parse_rule(f"capital >= {digit}0")

    def test_tabs_and_line_breaks_are_white_space(self) -> None:
        """Tabs and line breaks between tokens are allowed, as before."""
        assert holds("a\tand\r\nb", a=True, b=True)


class TestEvaluation:
    def test_comparison_explains_with_the_answer(self) -> None:
        """A true comparison says so and quotes the answer."""
        assert because('business_type == "pt"', business_type="pt") == (
            'business_type == "pt" is true (answer: "pt")'
        )

    @pytest.mark.parametrize(
        "source", ['a == "x"', 'a != "x"', "a > 1", "a in [1]", "a", '"x" in a']
    )
    def test_missing_answer_makes_any_comparison_false(self, source: str) -> None:
        """An absent or None answer makes every comparison false, != included."""
        assert not holds(source)
        assert not holds(source, a=None)
        assert because(source).endswith("(no answer)")

    def test_type_mismatch_is_false_not_an_error(self) -> None:
        """Comparing a text answer with a number is false and says why."""
        assert because("capital >= 100", capital="lots") == (
            "capital >= 100 is false (answer is not a number)"
        )

    def test_ints_and_floats_compare_as_decimals(self) -> None:
        """int and float answers compare as Decimal, floats by their shortest repr."""
        assert holds("a == 0.1 and b >= 100000000", a=0.1, b=100000000)

    def test_booleans_are_not_numbers(self) -> None:
        """True is not the number 1."""
        assert because("a == 1", a=True) == "a == 1 is false (answer is not a number)"

    @pytest.mark.parametrize(
        "answer", [float("nan"), float("inf"), Decimal("NaN"), Decimal("sNaN")]
    )
    def test_non_finite_numbers_compare_false(self, answer: object) -> None:
        """NaN and infinite answers make a numeric comparison false without raising."""
        assert not holds("a < 1 or a >= 1 or a == 1", a=answer)

    def test_value_on_the_left_reads_naturally(self) -> None:
        """'5 < age' holds when the age is above 5."""
        assert holds("5 < age", age=6)
        assert not holds("5 < age", age=5)

    def test_dates_compare_by_day(self) -> None:
        """Date answers compare with date literals; datetimes compare by their date."""
        assert holds("birth_date < 2008-01-01", birth_date=datetime.date(2007, 12, 31))
        assert holds("day == 2024-02-29", day=datetime.datetime(2024, 2, 29, 23, 59))  # noqa: DTZ001

    def test_membership_in_a_list(self) -> None:
        """'field in [...]' holds when the answer is one of the listed values."""
        assert holds('ownership in ["company", "lease"]', ownership="lease")
        assert not holds('ownership in ["company", "lease"]', ownership="private")

    def test_membership_with_the_wrong_type_says_so(self) -> None:
        """A list of text tested against a number is false and says why."""
        assert because('a in ["x"]', a=3) == 'a in ["x"] is false (answer is not text)'

    def test_contains_looks_inside_a_multiple_choice_answer(self) -> None:
        """'"x" in field' holds when the multiple-choice answer includes "x"."""
        assert holds('"export" in activities', activities=("import", "export"))
        assert not holds('"export" in activities', activities=("import",))

    def test_contains_on_a_single_answer_is_false(self) -> None:
        """'"x" in field' on a text answer is false; it is not a substring test."""
        assert (
            because('"ex" in a', a="export")
            == '"ex" in a is false (answer is not a list of choices)'
        )

    @pytest.mark.parametrize(
        ("answer", "expected"), [(True, True), (False, False), ("yes", False), (1, False)]
    )
    def test_bare_field_means_exactly_true(self, answer: object, expected: bool) -> None:
        """A bare field holds only when its answer is the boolean True."""
        assert holds("has_npwp", has_npwp=answer) is expected

    @pytest.mark.parametrize(
        ("answer", "expected"), [("", False), ((), False), ("0123", True), (False, True), (0, True)]
    )
    def test_is_set_means_answered_and_not_empty(self, answer: object, expected: bool) -> None:
        """is_set holds for any answer but None, the empty string and the empty tuple."""
        assert holds("is_set(npwp_number)", npwp_number=answer) is expected

    def test_not_negates_and_explains_its_child(self) -> None:
        """'not' flips the value and gives the child's sentence as its reason."""
        explanation = parse_rule("not has_npwp").evaluate({"has_npwp": False})
        assert explanation.value
        assert explanation.text == "not has_npwp is true because has_npwp is false (answer: false)"
        assert len(explanation.children) == 1

    def test_and_binds_tighter_than_or(self) -> None:
        """'a or b and c' reads as 'a or (b and c)'."""
        assert holds("a or b and c", a=True, b=False, c=False)
        assert not holds("(a or b) and c", a=True, b=False, c=False)

    def test_and_combines_its_childrens_sentences(self) -> None:
        """An 'and' explanation joins its children's sentences and keeps them as children."""
        explanation = parse_rule('t == "pt" and c >= 100').evaluate({"t": "pt", "c": 5})
        assert explanation == Explanation(
            value=False,
            text='t == "pt" is true (answer: "pt") and c >= 100 is false (answer: 5)',
            children=(
                Explanation(value=True, text='t == "pt" is true (answer: "pt")'),
                Explanation(value=False, text="c >= 100 is false (answer: 5)"),
            ),
        )

    def test_long_answers_are_shortened_in_explanations(self) -> None:
        """An explanation quotes at most the first 40 characters of an answer."""
        assert because('a == "x"', a="y" * 500) == f'a == "x" is false (answer: "{"y" * 40}"...)'


# --- properties -------------------------------------------------------------------------

FIELDS = ["a", "b", "flag", "amount", "tags", "day"]


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


fields = st.sampled_from(FIELDS)
# Rule text is free text: no lone surrogate, no control character (see test_text_checks).
texts = st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=6).map(quote)
numbers = st.decimals(min_value=-(10**6), max_value=10**6, places=2).map(lambda d: format(d, "f"))
dates = st.dates().map(datetime.date.isoformat)
orderable = numbers | dates
literals = texts | orderable | st.sampled_from(["true", "false"])


@st.composite
def leaves(draw: st.DrawFn) -> str:
    field = draw(fields)
    op = draw(st.sampled_from(["==", "!=", "<", "<=", ">", ">="]))
    value = draw(literals if op in ("==", "!=") else orderable)
    shape = draw(st.integers(0, 5))
    if shape == 0:
        return f"{field} {op} {value}"
    if shape == 1:
        return f"{value} {op} {field}"
    if shape == 2:
        return f"{field} in [{', '.join(draw(st.lists(literals, max_size=3)))}]"
    if shape == 3:
        return f"{draw(texts)} in {field}"
    return field if shape == 4 else f"is_set({field})"


@st.composite
def rules(draw: st.DrawFn, depth: int = 3) -> str:
    if depth == 0 or draw(st.booleans()):
        return draw(leaves())
    kind = draw(st.sampled_from(["and", "or", "not", "()"]))
    if kind == "not":
        return "not " + draw(rules(depth - 1))
    if kind == "()":
        return f"({draw(rules(depth - 1))})"
    return f"{draw(rules(depth - 1))} {kind} {draw(rules(depth - 1))}"


answers_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.decimals(),
    st.text(max_size=50),
    st.dates(),
    st.datetimes(),
    st.tuples(st.text(max_size=5)),
    st.lists(st.one_of(st.text(max_size=5), st.integers()), max_size=6),
    st.frozensets(st.text(max_size=3), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.builds(object),
)
answer_maps = st.dictionaries(fields, answers_values)

SOUP = [
    *FIELDS, "and", "or", "not", "in", "true", "false", "is_set", "(", ")", "[", "]", ",",
    "==", "!=", "<", "<=", ">", ">=", "=", '"x"', '"', "\\", "1", "-2.5", "1e5", "1.", "NaN",
    "2024-02-29", "2023-02-29", "é", "A",
]  # fmt: skip


class TestProperties:
    @given(st.text(max_size=300))
    def test_parse_raises_only_rule_syntax_errors_on_any_text(self, source: str) -> None:
        """Any text either parses or raises RuleSyntaxError, never anything else."""
        with contextlib.suppress(RuleSyntaxError):
            parse_rule(source)

    @given(st.lists(st.sampled_from(SOUP), max_size=40), st.sampled_from([" ", ""]))
    def test_parse_raises_only_rule_syntax_errors_on_token_soup(
        self, soup: list[str], glue: str
    ) -> None:
        """Any jumble of the language's tokens parses or raises RuleSyntaxError."""
        with contextlib.suppress(RuleSyntaxError):
            parse_rule(glue.join(soup))

    @given(rules(), answer_maps)
    def test_evaluate_never_raises(self, source: str, answers: dict[str, object]) -> None:
        """A valid rule evaluates any answers to a bool with a non-empty explanation."""
        explanation = parse_rule(source).evaluate(answers)
        assert isinstance(explanation.value, bool)
        assert explanation.text

    @pytest.mark.parametrize("answers", [None, "capital", [("capital", 5)], 5])
    def test_answers_that_are_not_a_mapping_are_refused(self, answers: object) -> None:
        """Evaluating answers that are not a mapping raises InvalidValue, not AttributeError."""
        with pytest.raises(InvalidValue) as caught:
            parse_rule("capital > 1").evaluate(answers)  # type: ignore[arg-type]
        assert caught.value.field == "answers"

    @given(rules())
    def test_printed_source_parses_to_an_equal_rule(self, source: str) -> None:
        """Re-parsing a rule's printed source gives an equal rule."""
        rule = parse_rule(source)
        assert parse_rule(str(rule)) == rule

    @given(rules(), st.data())
    def test_not_negates_when_every_field_is_a_boolean(
        self, source: str, data: st.DataObject
    ) -> None:
        """With boolean answers for every field, 'not (R)' is the negation of R."""
        rule = parse_rule(source)
        answers = {name: data.draw(st.booleans()) for name in sorted(rule.fields())}
        negated = parse_rule(f"not ({source})")
        assert negated.evaluate(answers).value is not rule.evaluate(answers).value

    @given(rules())
    def test_rules_are_hashable_values(self, source: str) -> None:
        """Parsing the same text twice gives equal rules with equal hashes."""
        first, second = parse_rule(source), parse_rule(source)
        assert isinstance(first, Rule)
        assert (first, hash(first)) == (second, hash(second))
