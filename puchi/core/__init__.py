"""Platform pieces every domain stands on: database, events, outbox and jobs, mail, security, errors."""
