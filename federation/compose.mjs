// Composes subgraphs into a supergraph with @apollo/composition: reads each one's SDL from its
// `_service { sdl }`, prints every composition error (and hint), and fails if there is any.
//
// Usage: node compose.mjs OUT.graphql NAME=URL [NAME=URL ...]

import { writeFileSync } from "node:fs";

import { composeServices } from "@apollo/composition";
import { parse } from "graphql";

/** The SDL a subgraph serves at `url`. */
async function subgraphSdl(name, url) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: "{ _service { sdl } }" }),
  });
  const body = await response.json();
  const sdl = body?.data?._service?.sdl;
  if (typeof sdl !== "string") {
    throw new Error(`${name} at ${url} answered no SDL: ${JSON.stringify(body)}`);
  }
  return sdl;
}

const [out, ...subgraphs] = process.argv.slice(2);
if (!out || subgraphs.length === 0) {
  console.error("usage: node compose.mjs OUT.graphql NAME=URL [NAME=URL ...]");
  process.exit(2);
}
const services = await Promise.all(
  subgraphs.map(async (spec) => {
    const [name, url] = spec.split(/=(.*)/s);
    return { name, url, typeDefs: parse(await subgraphSdl(name, url)) };
  }),
);
const result = composeServices(services);
for (const hint of result.hints ?? []) {
  console.log(`composition hint: ${hint.toString()}`);
}
if (result.errors?.length) {
  for (const error of result.errors) {
    console.error(`composition error: ${error.message}`);
  }
  process.exit(1);
}
writeFileSync(out, result.supergraphSdl);
console.log(
  `composed ${services.map((s) => s.name).join(" + ")} into ${out} (${result.supergraphSdl.length} bytes)`,
);
