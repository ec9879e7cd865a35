"""The short text form of an answer: one GSM-7 segment in SMS words, rendered from the JSON
answer. The SMS channel sends it; the API's plain-text answer says the same in its fullest form."""
