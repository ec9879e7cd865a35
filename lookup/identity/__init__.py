"""Who is asking and what they may do: principals, accounts, API keys, sign-in, web sessions,
lockout, enrolment and officer administration. Imports no channel."""
