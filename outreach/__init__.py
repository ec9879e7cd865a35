"""Outreach and training: seminar decks, handouts, the pocket card, the immunity matrix page,
trainer-led sessions with quizzes, attendance and certificates, and training mode."""
