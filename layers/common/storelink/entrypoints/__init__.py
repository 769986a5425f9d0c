"""What handlers share: turning HTTP events into service calls and domain errors into HTTP answers, and
settling the SQS records that fail."""
