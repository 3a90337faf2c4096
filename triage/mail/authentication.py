"""Is a message really from the domain in its From? DKIM (dkimpy), or a trusted relay's verdict.

Two ways, either enough:
- DKIM, checked here with dkimpy (the reference Python implementation, kept by the dkimpy
  maintainers for 15+ years): a signature that verifies and whose d= is the From domain or a
  parent of it (DMARC's relaxed alignment). The public key comes from DNS through a resolver the
  caller passes, so tests sign with their own key and answer from a dict, offline.
- `Authentication-Results` (RFC 8601) written by our own mail gateway, named by its authserv-id:
  dmarc=pass, or dkim=pass aligned with the From domain. Only the topmost field counts, and only
  when the caller trusts its authserv-id: anyone can write such a field into the mail they send.

SPF is not checked here: it judges the connecting IP address, which only the server that took
the SMTP connection knows; behind a gateway, its Authentication-Results carry that verdict.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from triage.mail.message import ParsedMail

log = logging.getLogger(__name__)

# dkimpy's DNS hook: a TXT record's name (bytes) -> its text (bytes), or None.
Resolver = Callable[..., bytes | None]
MAX_SIGNATURES = 5  # each costs a DNS lookup; real mail carries one to three


@dataclass(frozen=True)
class Verdict:
    authentic: bool
    how: str  # in words, for the message page: "DKIM signature of example.org", "no DKIM signature"


def from_domain(mail: ParsedMail) -> str | None:
    address = (mail.sender.address or "").strip().lower()
    _, at, domain = address.rpartition("@")
    return domain.rstrip(".") or None if at else None


def aligned(signer: str, domain: str) -> bool:
    """DMARC's relaxed alignment, without the public-suffix list: the signer is the domain or a parent."""
    signer, domain = signer.lower().rstrip("."), domain.lower().rstrip(".")
    return signer.count(".") >= 1 and (domain == signer or domain.endswith("." + signer))


def verify(mail: ParsedMail, *, resolver: Resolver | None = None, trusted_relays: Iterable[str] = ()) -> Verdict:
    """Whether the message authenticates its From domain; never raises."""
    domain = from_domain(mail)
    if domain is None:
        return Verdict(False, "no sender domain")
    relayed = relay_verdict(mail, domain, trusted_relays)
    if relayed is not None:
        return relayed
    return dkim_verdict(mail.raw, domain, resolver)


def dkim_verdict(raw: bytes, domain: str, resolver: Resolver | None = None) -> Verdict:
    """Check the DKIM signatures of `raw` for one that verifies and is aligned with `domain`."""
    import dkim  # lazy: only mail that asks for a state change is checked

    try:
        checker = dkim.DKIM(raw)
        count = sum(1 for name, _ in checker.headers if name.lower() == b"dkim-signature")
    except Exception as exc:  # noqa: BLE001 - dkimpy raises its own family and ValueError on bad mail
        log.info("DKIM: message not readable (%s)", type(exc).__name__)
        return Verdict(False, "message not readable for DKIM")
    if count == 0:
        return Verdict(False, "no DKIM signature")
    seen: list[str] = []
    for index in range(min(count, MAX_SIGNATURES)):
        try:
            ok = checker.verify(idx=index, dnsfunc=resolver) if resolver else checker.verify(idx=index)
        except Exception as exc:  # noqa: BLE001 - a bad signature or key is a failed check, not an error
            log.info("DKIM signature %d not verified (%s)", index, type(exc).__name__)
            ok = False
        signer = (checker.domain or b"").decode("ascii", "replace") if getattr(checker, "domain", None) else ""
        if ok and aligned(signer, domain):
            return Verdict(True, f"DKIM signature of {signer}")
        seen.append(f"{signer or '?'}: {'valid but not the sender domain' if ok else 'did not verify'}")
    return Verdict(False, "DKIM " + "; ".join(seen))


_RESULT = re.compile(r"(?<![\w.-])(dmarc|dkim|spf)\s*=\s*(\w+)((?:\s+[\w.-]+\s*=\s*[^\s;]+)*)", re.IGNORECASE)
_PROPERTY = re.compile(r"([\w.-]+)\s*=\s*([^\s;]+)")


def relay_verdict(mail: ParsedMail, domain: str, trusted_relays: Iterable[str]) -> Verdict | None:
    """The verdict of the topmost Authentication-Results, when our own gateway wrote it; else None."""
    trusted = {t.strip().lower() for t in trusted_relays if t.strip()}
    if not trusted:
        return None
    value = mail.header("Authentication-Results")
    if not value:
        return None
    value = re.sub(r"\([^)]*\)", " ", value)  # RFC 8601 comments
    authserv, _, rest = value.partition(";")
    authserv = (authserv.split() or [""])[0].lower()
    if authserv not in trusted:
        return None
    for method, result, properties in _RESULT.findall(rest):
        props = {k.lower(): v.strip('"').lower() for k, v in _PROPERTY.findall(properties)}
        if result.lower() != "pass":
            continue
        if method.lower() == "dmarc" and props.get("header.from", domain) == domain:
            return Verdict(True, f"DMARC pass for {domain}, checked by {authserv}")
        signer = props.get("header.d") or props.get("header.i", "").rpartition("@")[2]
        if method.lower() == "dkim" and signer and aligned(signer, domain):
            return Verdict(True, f"DKIM signature of {signer}, checked by {authserv}")
    return Verdict(False, f"no DMARC or aligned DKIM pass from {authserv}")
