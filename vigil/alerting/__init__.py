"""Alerting: event rules, subscriptions, silences, durable delivery and notification records."""
