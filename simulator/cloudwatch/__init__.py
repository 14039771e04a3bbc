"""CloudWatch: alarms and their state changes, in the shapes CloudWatch delivers them."""
