"""Time-based one-time passwords (RFC 6238) for two-factor login, and how their secrets are kept.

Our own small implementation rather than django-otp: the codes are a few lines of HMAC, and
keeping the state on the user row means no extra query on every request.
"""

import base64
import hashlib
import hmac
import secrets
import struct
from urllib.parse import quote, urlencode

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.utils.encoding import force_bytes

STEP_SECONDS = 30
DIGITS = 6
SECRET_BYTES = 20  # 160 bits, the length RFC 4226 recommends for HMAC-SHA1
ISSUER = "RPA Tracker"


def new_secret():
    """A fresh random secret in base32, as authenticator apps take it (32 letters and digits)."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode()


def time_step(at):
    """The RFC 6238 time step of `at` (seconds since the epoch)."""
    return int(at // STEP_SECONDS)


def hotp(key, counter, *, digits=DIGITS):
    """RFC 4226: the code for `counter` under `key` (bytes), HMAC-SHA1, dynamic truncation."""
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def totp(key, at, *, digits=DIGITS):
    """RFC 6238: the code at time `at` under `key` (bytes)."""
    return hotp(key, time_step(at), digits=digits)


def key_of(secret):
    """The key bytes of a base32 secret (spaces and case ignored)."""
    return base64.b32decode(secret.replace(" ", "").upper())


def matching_step(secret, code, *, at, after_step=0, window=1):
    """The time step within `window` steps of `at` whose code is `code`, or None.

    Steps up to `after_step` are never matched: a code already used cannot be used again.
    """
    key = key_of(secret)
    current = time_step(at)
    for step in range(max(current - window, after_step + 1), current + window + 1):
        if hmac.compare_digest(hotp(key, step), code):
            return step
    return None


def grouped(secret):
    """The secret in groups of four, easier to type into a phone."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(secret, account):
    """The otpauth:// address authenticator apps read (Key URI Format)."""
    label = quote(f"{ISSUER}:{account}")
    query = urlencode(
        {
            "secret": secret,
            "issuer": ISSUER,
            "algorithm": "SHA1",
            "digits": DIGITS,
            "period": STEP_SECONDS,
        },
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{query}"


# Stored secrets are encrypted with a key derived from SECRET_KEY, so that a copy of the
# database (a backup, say) does not hand out every user's second factor. Fernet (AES-128-CBC
# with an HMAC-SHA256 tag) from `cryptography`, rather than cryptography of our own.

SEALED_PREFIX = "f1$"


class SecretUnreadable(Exception):
    """A stored secret was altered, or sealed under a SECRET_KEY no longer configured."""


def _fernet(secret_key):
    key = hmac.new(force_bytes(secret_key), b"rpa_tracker.two_factor", hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret):
    """`secret` encrypted and authenticated under SECRET_KEY, as text for a CharField."""
    return SEALED_PREFIX + _fernet(settings.SECRET_KEY).encrypt(secret.encode()).decode()


def unseal(sealed):
    """The secret `seal` made, under SECRET_KEY or one of SECRET_KEY_FALLBACKS."""
    if not sealed.startswith(SEALED_PREFIX):
        raise SecretUnreadable("unknown format")
    keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    try:
        token = sealed[len(SEALED_PREFIX) :].encode("ascii")
        return MultiFernet([_fernet(key) for key in keys]).decrypt(token).decode()
    except (InvalidToken, ValueError):  # ValueError: not base64, or not ASCII
        raise SecretUnreadable("altered, or sealed under a key no longer configured") from None
