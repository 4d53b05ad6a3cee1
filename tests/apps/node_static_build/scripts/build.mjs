// The build step of a create-react-app-style project: bundle src/ with esbuild and write
// build/ (index.html from public/, the bundle under build/static/js/).
import { build } from "esbuild";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";

rmSync("build", { recursive: true, force: true });
mkdirSync("build/static/js", { recursive: true });
cpSync("public", "build", { recursive: true });
const result = await build({
  entryPoints: ["src/index.jsx"],
  bundle: true,
  minify: true,
  outfile: "build/static/js/main.js",
  jsx: "automatic",
  jsxImportSource: "preact",
  define: { "process.env.NODE_ENV": JSON.stringify(process.env.NODE_ENV || "development") },
  metafile: true,
});
const html = readFileSync("build/index.html", "utf8")
  .replace("%BUILT_WITH%", `esbuild, NODE_ENV=${process.env.NODE_ENV}`);
writeFileSync("build/index.html", html);
console.log(`built ${Object.keys(result.metafile.outputs).join(", ")}`);
