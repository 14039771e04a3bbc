"""Elastic Load Balancing (v2): target groups and target health as the suite meets them."""
