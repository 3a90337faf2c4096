"""Damaged encodings: a cut UTF-8 sequence, a broken base64 body, one bad RFC 2047 word.

Each keeps what can be read and names the damage in the defects, instead of turning the whole
body or subject into mojibake or raw encoded text.
"""

from __future__ import annotations

import base64

from triage.mail.charsets import decode_header_value
from triage.mail.parse import parse

SPANISH = "Hola, soy José Müller. ¿Podemos hablar mañana?"
ACCEPT = "I accept the offer, when can I start? I need an answer by Friday."


def _mail(body: bytes, content_type: str = "text/plain; charset=utf-8", encoding: str | None = None) -> bytes:
    head = f"From: a@example.org\r\nTo: jobs@example.org\r\nSubject: hi\r\nContent-Type: {content_type}\r\n"
    if encoding:
        head += f"Content-Transfer-Encoding: {encoding}\r\n"
    return head.encode() + b"\r\n" + body


def _subject(value: str) -> bytes:
    return f"From: a@example.org\r\nSubject: {value}\r\n\r\nAny news on my application?\r\n".encode()


# A UTF-8 body with one bad sequence: UTF-8 with U+FFFD there, not the whole body in another charset.


def test_utf8_body_with_one_cut_sequence_keeps_its_accents() -> None:
    body = SPANISH.encode() + b" \xe2\x80 Gracias."
    assert parse(_mail(body)).text == SPANISH + " \ufffd Gracias."


def test_undeclared_utf8_body_with_one_cut_sequence_keeps_its_accents() -> None:
    body = SPANISH.encode() + b" \xe2\x80 Gracias."
    assert parse(_mail(body, "text/plain")).text == SPANISH + " \ufffd Gracias."


def test_utf8_body_with_a_stray_latin1_byte_keeps_its_accents() -> None:
    body = "Grüße aus Köln, Jürgen Müller".encode() + b" (caf\xe9)"
    assert parse(_mail(body)).text == "Grüße aus Köln, Jürgen Müller (caf\ufffd)"


def test_damaged_utf8_body_is_a_defect() -> None:
    defects = parse(_mail(SPANISH.encode() + b" \xe2\x80 Gracias.")).defects
    assert defects == ("DamagedUtf8Defect: 1 invalid UTF-8 byte sequence(s) shown as U+FFFD",)


def test_english_reply_with_one_cut_quote_mark_stays_utf8() -> None:
    # No other non-ASCII letter to go by: the run E2 80 is a UTF-8 sequence cut short.
    body = "Thanks, I\u2019m available on Monday.".encode().replace(b"\xe2\x80\x99", b"\xe2\x80")
    assert parse(_mail(body, "text/plain")).text == "Thanks, I\ufffdm available on Monday."


def test_bad_quoted_printable_sequence_damages_one_character_only() -> None:
    body = b"Hola, soy Jos=C3=A9 M=C3=BCller. Hablamos del salario =E2=82 ma=C3=B1ana.\r\n"
    text = parse(_mail(body, encoding="quoted-printable")).text
    assert text == "Hola, soy José Müller. Hablamos del salario \ufffd mañana.\n"


# The rule's other side (these passed before and must keep passing): text in another charset.


def test_latin1_labelled_utf8_is_still_read_as_latin1() -> None:
    text = "Bonjour, voilà mon CV pour le poste à Genève. Grüße, Hélène"
    assert parse(_mail(text.encode("cp1252"))).text == text


def test_undeclared_shift_jis_is_still_detected() -> None:
    text = (
        "お世話になっております。先日面接を受けさせていただいた山田です。"
        "選考の結果について、いつ頃ご連絡をいただけますでしょうか。"
    )
    assert parse(_mail(text.encode("shift_jis"), "text/plain")).text == text


# A damaged base64 body: decode what can be decoded and say so.


def test_truncated_base64_body_keeps_its_decodable_words() -> None:
    body = base64.b64encode(ACCEPT.encode())[:-3]  # one character past a multiple of four
    assert parse(_mail(body, encoding="base64")).text.startswith("I accept the offer, when can I start?")


def test_truncated_base64_body_is_a_defect() -> None:
    body = base64.b64encode(ACCEPT.encode())[:-3]
    assert any("base64 body damaged" in d for d in parse(_mail(body, encoding="base64")).defects)


def test_base64_body_with_garbage_keeps_its_decodable_words() -> None:
    body = base64.b64encode(ACCEPT.encode())[:-7] + b"!!@@##\r\n"
    assert parse(_mail(body, encoding="base64")).text.startswith("I accept the offer, when can I start?")


def test_base64_body_with_garbage_is_a_defect() -> None:
    encoded = base64.b64encode(ACCEPT.encode())
    body = encoded[:40] + b"!!@@##" + encoded[40:]  # decodes in full: only the defect was lost
    assert any("base64 body damaged: characters" in d for d in parse(_mail(body, encoding="base64")).defects)


def test_base64_with_blanks_inside_lines_is_not_damage() -> None:
    encoded = base64.b64encode(ACCEPT.encode())
    body = encoded[:40] + b" \t" + encoded[40:]  # decoders skip blanks (RFC 2045 6.8)
    assert not any("base64" in d for d in parse(_mail(body, encoding="base64")).defects)


# One broken RFC 2047 word: the others decoded, the broken one kept as written.


def test_one_broken_encoded_word_leaves_the_others_decoded() -> None:
    raw = _subject("=?utf-8?Q?R=C3=BCckfrage_zu_meiner_Bewerbung?= =?utf-8?B?broken!!?= =?utf-8?Q?Gr=C3=BC=C3=9Fe?=")
    assert parse(raw).subject == "Rückfrage zu meiner Bewerbung =?utf-8?B?broken!!?= Grüße"


def test_broken_encoded_word_is_a_defect() -> None:
    raw = _subject("=?utf-8?Q?R=C3=BCckfrage?= =?utf-8?B?broken!!?=")
    assert any("=?utf-8?B?broken!!?=" in d for d in parse(raw).defects)


def test_decoded_words_beside_a_broken_one_are_joined_as_rfc2047_says() -> None:
    # Blanks between two decoded words go; a character split across two words is joined again.
    raw = _subject("=?utf-8?B?broken!!?= =?utf-8?Q?J=C3=BCrgen_M=C3?= =?utf-8?Q?=BCller?=")
    assert parse(raw).subject == "=?utf-8?B?broken!!?= Jürgen Müller"


def test_header_value_with_letters_and_raw_bytes_never_raises() -> None:
    # A str value holding both (not one the parser reads from bytes): decoded, not an exception.
    assert decode_header_value("Jos\xe9 \udcc3\udca9", []) == "José é"


def test_an_encoded_word_that_names_its_language_is_decoded():
    # RFC 2231 section 5: the charset of an encoded word may carry "*language".
    defects: list[str] = []
    assert (decode_header_value("=?utf-8*de?Q?R=C3=BCckfrage?=", defects), defects) == ("Rückfrage", [])
