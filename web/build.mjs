// Bundles the workbench's browser code: every web/src/<name>.js becomes
// web/static/dist/<name>.js (and <name>.css when it imports styles). No CDN at run time.
import { build } from "esbuild";
import { cpSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const src = join(root, "web", "src");
const out = join(root, "web", "static", "dist");
const vendor = join(root, "web", "static", "vendor");

mkdirSync(out, { recursive: true });
mkdirSync(vendor, { recursive: true });

const entries = readdirSync(src)
  .filter((name) => name.endsWith(".js") && !name.startsWith("_"))
  .map((name) => join(src, name));

await build({
  entryPoints: entries,
  outdir: out,
  bundle: true,
  minify: true,
  sourcemap: false,
  format: "iife",
  target: ["es2020"],
  legalComments: "linked",
  loader: { ".woff": "file", ".woff2": "file", ".ttf": "file", ".eot": "file", ".svg": "file" },
  assetNames: "assets/[name]-[hash]",
  logLevel: "warning",
});

// Files served as they are (the API docs use django-ninja's own Swagger UI copy).
const copies = [
  ["chart.js/dist/chart.umd.min.js", "chart.umd.min.js"],
  ["htmx.org/dist/htmx.min.js", "htmx.min.js"],
  ["axe-core/axe.min.js", "axe.min.js"],
];
for (const [from, to] of copies) {
  cpSync(join(root, "node_modules", from), join(vendor, to));
}
