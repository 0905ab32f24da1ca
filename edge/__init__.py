"""Edges: terminate client WebSockets, push their events onto room streams, fan results out."""
