"""The QR channel: signed tokens printed on credentials and registrations, the verification page
(`/v/<token>`), the public key set, lookup receipts and the `dipcheck qr` commands.

The blueprint lives in `lookup.qr.views`; the token, key and rendering modules need no Flask app,
so the offline verifier works with nothing but a keys file.
"""
