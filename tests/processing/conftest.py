"""The pipeline's tests build mail and applications the way the intake tests do."""

from tests.intake.conftest import keyword_model, make_application, raw_mail, token_for

__all__ = ["keyword_model", "make_application", "raw_mail", "token_for"]
