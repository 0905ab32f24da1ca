"""What the edge, room_worker and auth processes share: settings, keys, protocol, tokens."""
