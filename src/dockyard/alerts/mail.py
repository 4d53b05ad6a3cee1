"""One e-mail to one address over SMTP, reported as an ``Attempt``.

One message per address, so one bad address never stops the others and each gets its own
``Delivery``. MAIL/RCPT/DATA are sent step by step to keep the server's real reply.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate, make_msgid

from dockyard.alerts.events import AlertEvent, SMTPSettings, mail_body, subject
from dockyard.alerts.webhook import Attempt

_ADDRESS = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+")
_POLICY = SMTP_POLICY.clone(cte_type="7bit")  # non-ASCII bodies go quoted-printable


def check_address(address: str) -> str | None:
    """Why ``address`` can't be mailed, or None (also stops header/command injection)."""
    if not _ADDRESS.fullmatch(address or "") or not address.isascii():
        return f"invalid e-mail address {address!r}: expected name@domain"
    return None


def build_message(event: AlertEvent, sender: str, address: str) -> bytes:
    """The wire form (CRLF line ends, RFC 2047 headers), one recipient."""
    msg = EmailMessage(policy=_POLICY)
    msg["From"] = sender
    msg["To"] = address
    msg["Subject"] = subject(event)
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = make_msgid("alert", domain=sender.rpartition("@")[2] or "dockyard")
    msg["X-Dockyard-Rule"] = event.rule
    msg["X-Dockyard-App"] = " ".join(event.app_name.split())
    msg.set_content(mail_body(event))
    return msg.as_bytes()


def send_mail(settings: SMTPSettings, address: str, data: bytes) -> Attempt:
    """Hand one message over; 4xx replies and lost connections may be retried, 5xx not."""
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
            _authenticate(smtp, settings)
            reply = _transmit(smtp, settings.sender, address, data)
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = exc.recipients.get(address, (0, b"recipient refused"))
        return _refused(code, text)
    except smtplib.SMTPResponseException as exc:
        return _refused(exc.smtp_code, exc.smtp_error)
    except smtplib.SMTPNotSupportedError as exc:
        return Attempt(False, f"SMTP server does not support: {exc}")
    except (OSError, smtplib.SMTPException) as exc:
        where = f"{settings.host}:{settings.port}"
        return Attempt(False, f"SMTP {where}: {exc or type(exc).__name__}", retryable=True)
    return Attempt(True, reply)


def _authenticate(smtp: smtplib.SMTP, settings: SMTPSettings) -> None:
    if settings.starttls:
        smtp.starttls(context=ssl.create_default_context())
    if settings.username:
        smtp.login(settings.username, settings.password or "")


def _transmit(smtp: smtplib.SMTP, sender: str, address: str, data: bytes) -> str:
    """MAIL, RCPT, DATA for one recipient; returns the server's final reply."""
    smtp.ehlo_or_helo_if_needed()
    code, text = smtp.mail(sender)
    if code != 250:
        raise smtplib.SMTPSenderRefused(code, text, sender)
    code, text = smtp.rcpt(address)
    if code not in (250, 251):
        raise smtplib.SMTPRecipientsRefused({address: (code, text)})
    code, text = smtp.data(data)
    if code != 250:
        raise smtplib.SMTPDataError(code, text)
    return f"{code} {_decode(text)}"


def _refused(code: int, text: bytes | str) -> Attempt:
    """4xx is "try later" in SMTP; a negative code means the server hung up."""
    return Attempt(False, f"{code} {_decode(text)}", retryable=code < 0 or 400 <= code < 500)


def _decode(text: bytes | str) -> str:
    raw = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return " ".join(raw.split())
