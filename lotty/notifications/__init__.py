"""Notifications (SPEC §6): channels, rules, the outbox and its deliveries."""
