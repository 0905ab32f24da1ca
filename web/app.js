// The demo page: log in, join a room, draw every player, move with the keyboard or a tap.
import { RoomClient, logIn } from "./rooms-client.js";

const STEP = 10;
const canvas = document.getElementById("world");
const context = canvas.getContext("2d");
const logList = document.getElementById("log");
const statusBadge = document.getElementById("status");
const rttLabel = document.getElementById("rtt");

// What the page shows, exposed for tests and the curious: player id -> {x, y, color, name}.
const view = { me: null, players: new Map(), client: null };
window.roomsView = view;

function note(text) {
  const item = document.createElement("li");
  item.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  logList.prepend(item);
}

// World (0, 0) is the middle of the canvas; one world unit is one pixel.
function toScreen(x, y) {
  return [canvas.width / 2 + x, canvas.height / 2 + y];
}

function draw() {
  context.clearRect(0, 0, canvas.width, canvas.height);
  for (const [id, p] of view.players) {
    const [sx, sy] = toScreen(p.x, p.y);
    context.beginPath();
    context.arc(sx, sy, id === view.me ? 9 : 7, 0, 2 * Math.PI);
    context.fillStyle = p.color;
    context.fill();
    context.fillStyle = "#e8e8e8";
    context.font = "12px system-ui, sans-serif";
    context.fillText(p.name || `player ${id}`, sx + 11, sy + 4);
  }
}

function moveBy(dx, dy) {
  const me = view.players.get(view.me);
  if (me) view.client.move(me.x + dx, me.y + dy);
}

const KEYS = {
  ArrowUp: [0, -STEP], KeyW: [0, -STEP], ArrowDown: [0, STEP], KeyS: [0, STEP],
  ArrowLeft: [-STEP, 0], KeyA: [-STEP, 0], ArrowRight: [STEP, 0], KeyD: [STEP, 0],
};

canvas.addEventListener("keydown", (event) => {
  const delta = KEYS[event.code];
  if (!delta || !view.client) return;
  event.preventDefault();
  moveBy(...delta);
});

canvas.addEventListener("pointerdown", (event) => {
  if (!view.client) return;
  const box = canvas.getBoundingClientRect();
  const x = (event.clientX - box.left) * (canvas.width / box.width) - canvas.width / 2;
  const y = (event.clientY - box.top) * (canvas.height / box.height) - canvas.height / 2;
  view.client.move(Math.round(x), Math.round(y));
  canvas.focus();
});

function join(edgeUrl, room, token, me) {
  view.client?.close();
  view.me = me;
  view.players.clear();
  const client = new RoomClient({ edgeUrl, room, token });
  view.client = client;
  client.addEventListener("state", (e) => {
    view.players = new Map(e.detail.players.map(
      (p) => [p.player_id, { x: p.x, y: p.y, color: p.color, name: p.username }]));
    draw();
  });
  client.addEventListener("join", (e) => note(`${e.detail.username} joined`));
  client.addEventListener("leave", (e) => {
    const name = view.players.get(e.detail.player_id)?.name ?? `player ${e.detail.player_id}`;
    note(`${name} left`);
  });
  client.addEventListener("error", (e) => note(`server: ${e.detail.reason}`));
  client.addEventListener("rtt", (e) => { rttLabel.textContent = `${e.detail.ms.toFixed(1)} ms`; });
  client.addEventListener("status", (e) => {
    const s = e.detail;
    statusBadge.className = `status ${s.state}`;
    statusBadge.textContent = s.state === "closed" && s.retryInMs
      ? `reconnecting in ${(s.retryInMs / 1000).toFixed(1)} s` : s.state;
    if (s.state === "closed" && s.code) note(`closed ${s.code} ${s.reason || ""}`);
  });
  client.connect();
  canvas.focus();
}

document.getElementById("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = document.getElementById("form-error");
  error.textContent = "";
  const username = document.getElementById("username").value.trim();
  const password = document.getElementById("password").value;
  const room = document.getElementById("room").value.trim();
  const register = event.submitter?.value === "register";
  try {
    const config = await (await fetch("client-config")).json();
    const token = await logIn(config.auth_url, username, password, { register });
    const claims = JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    join(config.edge_url, room, token, Number(claims.sub));
  } catch (failure) {
    error.textContent = failure.message;
  }
});
