"""What an answer says, as of the day of the lookup: immunity, insurance, registration, licence,
credential and travel-control status. Pure functions of records, a date and settings; no Flask,
no storage."""
