"""Room workers: actors that own rooms, apply their events in order and publish the results."""
