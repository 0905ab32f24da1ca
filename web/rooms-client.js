// A small client for the rooms WebSocket protocol, usable from any page as an ES module.
//
//   import { RoomClient } from "./rooms-client.js";
//   const client = new RoomClient({ edgeUrl: "ws://127.0.0.1:8000", room: "lobby", token });
//   client.addEventListener("state", (e) => draw(e.detail.players));
//   client.connect();
//   client.move(40, 12);
//
// Events (CustomEvent, payload in `detail`): join, leave, state, error (the server's error
// frames), rtt ({ms}), status ({state: "connecting" | "open" | "closed", code, reason,
// retryInMs}). The client pings every `pingEveryMs` to stay alive and to measure the round
// trip, and reconnects with exponential backoff unless the server said not to (bad or
// expired token, replaced by a newer socket, room full).

const FINAL_CODES = new Set([1008, 4001, 4005]);

export class RoomClient extends EventTarget {
  constructor({ edgeUrl, room, token, pingEveryMs = 2000, maxBackoffMs = 10000 }) {
    super();
    this.edgeUrl = edgeUrl.replace(/\/$/, "");
    this.room = room;
    this.token = token;
    this.pingEveryMs = pingEveryMs;
    this.maxBackoffMs = maxBackoffMs;
    this.socket = null;
    this.attempt = 0;
    this.stopped = false;
    this.pingSentAt = null;
    this.pingTimer = null;
    this.retryTimer = null;
  }

  connect() {
    this.stopped = false;
    const url = `${this.edgeUrl}/ws/${encodeURIComponent(this.room)}` +
      `?token=${encodeURIComponent(this.token)}`;
    this.#status({ state: "connecting" });
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.attempt = 0;
      this.#status({ state: "open" });
      this.pingTimer = setInterval(() => this.ping(), this.pingEveryMs);
    });
    socket.addEventListener("message", (event) => this.#receive(event.data));
    socket.addEventListener("close", (event) => this.#closed(event));
  }

  move(x, y) {
    this.#send({ type: "move", x, y });
  }

  ping() {
    this.pingSentAt = performance.now();
    this.#send({ type: "ping" });
  }

  close() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    if (this.socket) this.socket.close(1000, "bye");
  }

  #send(message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(message));
    }
  }

  #receive(text) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (message.type === "pong") {
      if (this.pingSentAt !== null) {
        const ms = performance.now() - this.pingSentAt;
        this.pingSentAt = null;
        this.dispatchEvent(new CustomEvent("rtt", { detail: { ms } }));
      }
      return;
    }
    this.dispatchEvent(new CustomEvent(message.type, { detail: message }));
  }

  #closed(event) {
    clearInterval(this.pingTimer);
    const final = this.stopped || FINAL_CODES.has(event.code);
    const retryInMs = final ? null : this.#backoff();
    this.#status({ state: "closed", code: event.code, reason: event.reason, retryInMs });
    if (!final) {
      this.retryTimer = setTimeout(() => this.connect(), retryInMs);
    }
  }

  #backoff() {
    const base = Math.min(this.maxBackoffMs, 250 * 2 ** this.attempt);
    this.attempt += 1;
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }

  #status(detail) {
    this.dispatchEvent(new CustomEvent("status", { detail }));
  }
}

// Register or log in against the auth service; resolves to a token or throws an Error whose
// message is the server's `detail`.
export async function logIn(authUrl, username, password, { register = false } = {}) {
  const post = (path) => fetch(`${authUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  if (register) {
    const created = await post("/register");
    if (!created.ok && created.status !== 409) throw new Error(await detail(created));
  }
  const answer = await post("/login");
  if (!answer.ok) throw new Error(await detail(answer));
  return (await answer.json()).access_token;
}

async function detail(response) {
  try {
    return (await response.json()).detail;
  } catch {
    return `HTTP ${response.status}`;
  }
}
