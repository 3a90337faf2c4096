"""What a person does to messages: move, archive, snooze, reply."""
