"""Amazon SQS: delayed delivery on the simulated clock, receipts, and SQS's own limits."""
