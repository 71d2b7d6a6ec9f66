"""Personal data found in free text: addresses, UK phone numbers, known names and their spans."""

import pytest

from feedback.pii import (
    EMAIL,
    NAME,
    PHONE,
    KnownNames,
    find_personal_data,
    names_in_agenda,
    redact,
)

NAMES = ["Sarah Jones", "John Smith", "Cllr Green", "Inspector Raj Patel", "Priya"]


def found(text, names=NAMES):
    return [(f.kind, f.matched_text, f.known) for f in find_personal_data(text, names=names)]


def test_each_finding_has_the_span_of_its_text():
    text = "Ask Sarah Jones on 020 7946 0018 or at sarah@example.org."
    findings = find_personal_data(text, names=NAMES)
    assert [(f.kind, text[f.start : f.end]) for f in findings] == [
        (NAME, "Sarah Jones"),
        (PHONE, "020 7946 0018"),
        (EMAIL, "sarah@example.org"),
    ]
    assert [f.matched_text for f in findings] == [
        "Sarah Jones",
        "020 7946 0018",
        "sarah@example.org",
    ]


@pytest.mark.parametrize(
    "number",
    ["020 7946 0018", "(020) 7946 0018", "+44 20 7946 0018", "07911 123456", "0161 496 0000"],
)
def test_uk_phone_numbers_written_any_usual_way_are_found(number):
    assert found(f"ring {number} after six") == [(PHONE, number, "+44" + _digits(number))]


def _digits(number):
    digits = "".join(c for c in number if c.isdigit())
    return digits[2:] if digits.startswith("44") else digits[1:]


@pytest.mark.parametrize("text", ["call 101 or 999", "on 12 March 2024", "ward 3, 45 minutes"])
def test_short_codes_dates_and_counts_are_not_phone_numbers(text):
    assert found(text) == []


def test_email_addresses_are_found_and_a_bare_at_is_not():
    assert found("write to j.doe+police@council.gov.uk, or meet @ the hall") == [
        (EMAIL, "j.doe+police@council.gov.uk", "")
    ]


def test_known_names_are_found_in_any_case_on_word_boundaries():
    assert found("sarah jones and SARAH JONES spoke; Sarah Jonesborough did not") == [
        (NAME, "sarah jones", "Sarah Jones"),
        (NAME, "SARAH JONES", "Sarah Jones"),
    ]


def test_near_spellings_of_a_full_name_are_found():
    assert found("Sara Jones and Jon Smith") == [
        (NAME, "Sara Jones", "Sarah Jones"),
        (NAME, "Jon Smith", "John Smith"),
    ]


def test_words_that_only_look_alike_are_not_names():
    assert found("will grow the youth club", names=["Will Brown"]) == []


def test_a_title_with_a_known_surname_is_a_name_but_the_bare_word_is_not():
    assert found("PC Smith and councillor green talked about green spaces") == [
        (NAME, "PC Smith", "John Smith"),
        (NAME, "councillor green", "Cllr Green"),
    ]
    assert found("Inspector Patel came") == [(NAME, "Inspector Patel", "Inspector Raj Patel")]


def test_a_name_split_by_punctuation_is_not_that_name():
    assert found("John, Smith; and john.smith") == []


def test_a_name_inside_an_email_address_is_one_finding_the_address():
    assert found("email john.smith@example.com") == [(EMAIL, "john.smith@example.com", "")]


def test_a_one_word_name_is_found_unless_it_is_too_short():
    assert found("priya and Al", names=["Priya", "Al"]) == [(NAME, "priya", "Priya")]


def test_without_known_names_only_addresses_and_numbers_are_found():
    assert found("Sarah Jones, 07911 123456", names=[]) == [
        (PHONE, "07911 123456", "+447911123456")
    ]


def test_redact_replaces_each_span_with_what_it_was():
    text = "Sarah Jones (sarah@example.org, 07911 123456) said more lighting"
    assert redact(text, find_personal_data(text, names=NAMES)) == (
        "[name removed] ([email address removed], [phone number removed]) said more lighting"
    )


def test_known_names_are_prepared_once_for_many_texts():
    names = KnownNames(NAMES)
    assert [len(find_personal_data(t, names=names)) for t in ["Priya", "none", "PC Jones"]] == [
        1,
        0,
        1,
    ]


def test_names_on_the_agenda_are_the_capitalised_words_after_a_title():
    agenda = (
        "Welcome by Chief Superintendent Sarah Jones. Q&A with Cllr Patel and "
        "detective inspector Raj Kumar. The Inspector said little."
    )
    assert names_in_agenda(agenda) == [
        "Chief Superintendent Sarah Jones",
        "Cllr Patel",
        "detective inspector Raj Kumar",
    ]
    names = KnownNames(names_in_agenda(agenda))
    assert found("Raj Kumar and Councillor Patel, not patel alone", names=names) == [
        (NAME, "Raj Kumar", "detective inspector Raj Kumar"),
        (NAME, "Councillor Patel", "Cllr Patel"),
    ]


def test_an_unknown_name_after_a_title_is_found_but_not_a_bare_rank():
    assert found("Sergeant Dave Collins runs it; the sergeant said so", names=[]) == [
        (NAME, "Sergeant Dave Collins", "")
    ]
