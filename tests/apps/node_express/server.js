// A plain Express app as App Platform runs it: it listens on $PORT and answers / and /health.
const fs = require("fs");
const path = require("path");
const express = require("express");

const app = express();
const message = fs.readFileSync(path.join(__dirname, "message.txt"), "utf8").trim();

app.get("/", (req, res) => {
  res.send(`<h1>${message}</h1><p>node ${process.version}, NODE_ENV=${process.env.NODE_ENV}</p>`);
});
app.get("/health", (req, res) => res.json({ ok: true }));
app.get("/env/:key", (req, res) => res.type("text").send(process.env[req.params.key] || ""));

const port = Number(process.env.PORT || 8080);
app.listen(port, () => console.log(`express listening on ${port}`));
