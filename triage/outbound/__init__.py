"""Everything we send: templates, the outbox, delivery over SMTP, acknowledgements, batches."""
