"""The signed URL is rebuilt from the public base URL, never from the request's own host."""

from __future__ import annotations

import pytest
from flask import Flask

from lookup.sms.signature import signed_url


@pytest.mark.parametrize(
    ("path", "base", "expected"),
    [
        ("/sms/twilio", "https://dipcheck.example.gov", "https://dipcheck.example.gov/sms/twilio"),
        ("/sms/twilio", "https://dipcheck.example.gov/", "https://dipcheck.example.gov/sms/twilio"),
        ("/sms/twilio?a=1&b=%20", "https://x.gov:8443", "https://x.gov:8443/sms/twilio?a=1&b=%20"),
        ("/sms/twilio", "https://x.gov/prefix", "https://x.gov/prefix/sms/twilio"),
    ],
)
def test_signed_url(path: str, base: str, expected: str) -> None:
    app = Flask(__name__)
    headers = {"Host": "internal:8000", "X-Forwarded-Host": "evil.example"}
    with app.test_request_context(path, base_url="http://internal:8000", headers=headers):
        from flask import request

        assert signed_url(base, request) == expected
