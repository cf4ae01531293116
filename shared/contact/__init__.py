"""Contact confirmation: one-time codes by SMS or e-mail, their tries, resends and expiry."""
