"""The cleanup step: what of a real email the model gets to read."""

from triage.classifier.features import clean_subject, normalize, prepare_one, strip_history


def test_gmail_reply_header_and_quote_are_dropped():
    body = (
        "Yes, Tuesday works.\n\nOn Mon, 3 Mar 2025 at 09:12, Sarah Jones "
        "<sarah@acme.example> wrote:\n> Could you do Tuesday?\n> Sarah"
    )
    assert strip_history(body).strip() == "Yes, Tuesday works."


def test_wrapped_gmail_header_is_dropped():
    body = "Thanks!\n\nOn Mon, 3 Mar 2025 at 09:12, Sarah Jones <sarah@acme.example>\nwrote:\n> hi"
    assert strip_history(body).strip() == "Thanks!"


def test_outlook_original_message_block_is_dropped():
    body = "Signed copy attached.\n\n-----Original Message-----\nFrom: HR\nSent: today\n\nPlease sign"
    assert strip_history(body).strip() == "Signed copy attached."


def test_outlook_from_sent_header_block_is_dropped():
    body = "See you then.\n\nFrom: Talent Team <t@acme.example>\nSent: Tuesday 9:12\nTo: me\n\nOld"
    assert strip_history(body).strip() == "See you then."


def test_interleaved_quoted_lines_are_dropped():
    body = "> When can you start?\nIn two weeks.\n> Salary?\nAround 50k."
    assert strip_history(body) == "In two weeks.\nAround 50k."


def test_signature_delimiter_and_mobile_footer_end_the_text():
    assert strip_history("I accept.\n-- \nJo Bloggs\n07700 900123").strip() == "I accept."
    assert strip_history("I accept.\n\nSent from my iPhone").strip() == "I accept."


def test_header_on_first_line_keeps_the_text():
    body = "From: Jane\nSent: Monday\n\nPlease find my references attached."
    assert "references" in strip_history(body)


def test_reply_and_forward_prefixes_leave_the_subject():
    assert clean_subject("RE: Fwd: re: Offer - Designer") == "Offer - Designer"


def test_normalize_masks_addresses_links_digits_and_splits_punctuation():
    text = normalize("Mail Jo.Smith@Example.com or see https://x.example/a, £55,000 Café")
    assert text == "mail  emailtoken  or see  urltoken  £00 , 000 cafe"


def test_prepare_one_joins_subject_and_new_text():
    assert prepare_one("Re: Offer", "I accept!\n> old") == "offer\ni accept !"


def test_non_english_reply_headers_are_dropped():
    body = (
        "Merci, je confirme.\n\nLe mar. 4 mars 2025 à 09:12, Sarah Jones "
        "<sarah@acme.example> a écrit :\n> Pouvez-vous confirmer ?"
    )
    assert strip_history(body).strip() == "Merci, je confirme."


def test_german_outlook_header_block_is_dropped():
    body = "Vielen Dank.\n\nVon: Sarah Jones\nGesendet: Dienstag, 4. März 2025 09:12\nAn: mich\n\nAlt"
    assert strip_history(body).strip() == "Vielen Dank."


def test_salutation_and_sign_off_lines_are_dropped():
    body = "Dear Mr. Kaminski:\n\nI sent my CV last week.\n\nBest regards,\nEric Hilton"
    assert prepare_one("", body) == "i sent my cv last week ."


def test_a_greeting_that_shares_its_line_with_content_is_kept():
    assert prepare_one("", "Hi Sarah, thanks for the offer\nJo").startswith("hi sarah ,  thanks for the offer")


def test_a_closing_word_inside_a_sentence_is_not_a_sign_off():
    assert "interview today" in prepare_one("", "Hi,\nThank you for the interview today.\nBest, Jo")


def test_a_message_that_is_only_courtesy_is_kept_whole():
    assert prepare_one("", "Thanks!\nJo") == "thanks ! \njo"


def test_template_placeholders_become_one_token():
    text = prepare_one("Re: [Job Title]", "I applied for ${app.role} at %COMPANY% via {{ source }} and <Company>.")
    assert text.count("placeholdertoken") == 5 and "role" not in text


def test_an_address_in_angle_brackets_is_not_a_placeholder():
    assert "emailtoken" in prepare_one("", "Write to Jane <Jane.Doe@acme.example> please.")
