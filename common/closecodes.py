"""WebSocket close codes the edge uses, and the reason text each one carries.

1000-1015 are the protocol's own; 4000-4999 are free for applications and are ours here.
"""

NORMAL = 1000
GOING_AWAY = 1001  # the edge is shutting down: reconnect, another edge will take you
POLICY_VIOLATION = 1008  # missing, bad or expired token (also when it expires later); bad room id
MESSAGE_TOO_BIG = 1009
INTERNAL_ERROR = 1011
SERVICE_RESTART = 1012  # sent by uvicorn itself when it stops before the app could
TRY_AGAIN_LATER = 1013  # Redis is unreachable: nothing could be recorded

HEARTBEAT_TIMEOUT = 4000  # silent for longer than HEARTBEAT_TIMEOUT_S
REPLACED = 4001  # the same player opened a newer socket; the newer one wins
TOO_SLOW = 4002  # the client did not read fast enough and its send queue overflowed
NOT_IN_ROOM = 4003  # the room no longer lists this socket's player (removed elsewhere)
EDGE_LOST = 4004  # this socket's edge was declared dead; sent if the edge is in fact alive
ROOM_FULL = 4005  # the room already holds ROOM_MAX_PLAYERS players
TOO_MANY_FRAMES = 4008  # kept sending far more than FRAME_RATE_PER_S frames a second
