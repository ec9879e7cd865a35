"""The SMS channel: officers text a plate, an ID card or a licence number to a Twilio number and
get the essential answer in one GSM-7 segment. Only enrolled officer phones get data."""

from lookup.sms.views import sms_blueprint

__all__ = ["sms_blueprint"]
