// WebSocket echo server: every text message comes back as "<release>: <message>", so a test
// can tell which release answered. Plain HTTP GET / and /health answer too.
const fs = require("fs");
const http = require("http");
const { WebSocketServer } = require("ws");

const release = fs.readFileSync(__dirname + "/release.txt", "utf8").trim();
const server = http.createServer((req, res) => {
  res.writeHead(200, { "Content-Type": "text/plain" });
  res.end(`websocket server ${release}\n`);
});
const wss = new WebSocketServer({ server, path: "/ws" });
wss.on("connection", (socket) => {
  socket.send(`${release}: hello`);
  socket.on("message", (data) => socket.send(`${release}: ${data}`));
});

const port = Number(process.env.PORT || 8080);
server.listen(port, () => console.log(`websocket server ${release} on ${port}`));
process.on("SIGTERM", () => {
  // Leave open sockets alone: the router drains them; exit when they are gone.
  server.close(() => process.exit(0));
});
