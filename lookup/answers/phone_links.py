"""tel: links for the 24/7 verification number, shared by every HTML page (web, QR, training).

The configured number is written for people, e.g. "(571) 345-3146". A tel: link wants a global
number (RFC 3966): digits with a leading "+"; ten digits without one are a North American
number, so they get the +1 country code.
"""

from __future__ import annotations


def tel_href(phone: str) -> str:
    """The href of a link that dials `phone`."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if phone.strip().startswith("+"):
        return f"tel:+{digits}"
    if len(digits) == 10:
        return f"tel:+1{digits}"
    return f"tel:{digits}"
