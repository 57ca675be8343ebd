// Serves a composed supergraph with @apollo/gateway on @apollo/server.
//
// Usage: PORT=4000 node gateway.mjs SUPERGRAPH.graphql

import { readFileSync } from "node:fs";

import { ApolloGateway } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";

const [supergraph] = process.argv.slice(2);
if (!supergraph) {
  console.error("usage: PORT=4000 node gateway.mjs SUPERGRAPH.graphql");
  process.exit(2);
}
const gateway = new ApolloGateway({
  supergraphSdl: readFileSync(supergraph, "utf8"),
});
const server = new ApolloServer({ gateway });
const port = Number(process.env.PORT ?? 4000);
const { url } = await startStandaloneServer(server, {
  listen: { host: "127.0.0.1", port },
});
console.log(`gateway at ${url}`);
