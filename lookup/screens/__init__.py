"""How an answer is shown, whatever the channel: which card it opens on (cards) and the officer
screens' presentation helpers (officer)."""
