"""Time-based one-time passwords (RFC 6238) for two-factor login, recovery codes, the
enrolment QR code, and how the secrets are kept.

The codes come from pyotp, a well-kept library, rather than HMAC code of our own; the state
(secret, last step used) stays on the user row, so a request needs no extra query.
"""

import base64
import hashlib
import hmac
import secrets

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.utils.encoding import force_bytes
from django.utils.safestring import SafeString, mark_safe

STEP_SECONDS = 30
DIGITS = 6
SECRET_LENGTH = 32  # base32 letters: 160 bits, the length RFC 4226 recommends for HMAC-SHA1
ISSUER = "RPA Tracker"


def new_secret():
    """A fresh random secret in base32, as authenticator apps take it (32 letters and digits)."""
    return pyotp.random_base32(SECRET_LENGTH)


def _totp(secret):
    return pyotp.TOTP(secret.replace(" ", "").upper(), digits=DIGITS, interval=STEP_SECONDS)


def time_step(at):
    """The RFC 6238 time step of `at` (seconds since the epoch)."""
    return int(at // STEP_SECONDS)


def code_at(secret, at):
    """The code an authenticator app holding `secret` shows at `at` (seconds since the epoch)."""
    return _totp(secret).at(int(at))


def matching_step(secret, code, *, at, after_step=0, window=1):
    """The time step within `window` steps of `at` whose code is `code`, or None.

    Steps up to `after_step` are never matched: a code already used cannot be used again.
    """
    totp = _totp(secret)
    current = time_step(at)
    for step in range(max(current - window, after_step + 1), current + window + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def grouped(secret):
    """The secret in groups of four, easier to type into a phone."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(secret, account):
    """The otpauth:// address authenticator apps read (Key URI Format)."""
    return _totp(secret).provisioning_uri(name=account, issuer_name=ISSUER)


def qr_svg(uri) -> SafeString:
    """`uri` as a QR code in inline SVG, made here (no outside service, no script)."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=4, border=4, title="QR code of the key, for your authenticator app", svgclass="qr"
    )
    return mark_safe(svg)  # segno's own markup around our title: nothing from a request


# Recovery codes: each signs in once instead of the app's code (a lost phone). 80 random bits
# in 16 base32 letters, shown once in groups of four; only their SHA-256 is stored.

RECOVERY_CODE_COUNT = 10
RECOVERY_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"


def new_recovery_code():
    letters = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(16))
    return "-".join(letters[i : i + 4] for i in range(0, 16, 4))


def normalise_recovery_code(code):
    """What the user typed, without spaces and dashes, in lower case."""
    return "".join(code.split()).replace("-", "").lower()


def looks_like_recovery_code(code):
    normalised = normalise_recovery_code(code)
    return len(normalised) == 16 and all(letter in RECOVERY_ALPHABET for letter in normalised)


def recovery_code_hash(code):
    return hashlib.sha256(normalise_recovery_code(code).encode()).hexdigest()


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
