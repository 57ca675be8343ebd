// A sample partner subgraph: "supply", the batch records of a fictional pharma partner that
// makes and ships ATMP batches for products of the Karolinska ATMP Center. It extends
// atmp-graph's `Product` entity by its global `id` with `partnerBatches`, and lists its batches
// with the product each is of, which the composed graph resolves through atmp-graph.
//
// The batches are invented, illustrative data. The product IDs are atmp-graph's global IDs as
// the partner stored them: they are stable across restarts and databases, so a stored ID stays
// valid.
//
// Run: PORT=4001 node partner/supply.mjs

import { readFileSync } from "node:fs";

import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { parse } from "graphql";

const typeDefs = parse(
  readFileSync(new URL("./supply.graphql", import.meta.url), "utf8"),
);

/** atmp-graph's global IDs of the products the partner supplies. */
const CAR_T_2014 = "UHJvZHVjdDphNGViNTE0Mi02YTJlLTU0YmUtYWI2ZC01YTk4ZTBhN2I3ZDQ";
const CAR_T_STANDARD_2019 =
  "UHJvZHVjdDo0NGUzODJiNi1mMDdkLTUzZTItYjg0Ny1lZmMxNDA0YjJmYjg";

/** The partner's batch records, newest first (illustrative sample data). */
const BATCHES = [
  { lot: "NVS-CART-2024-031", releasedOn: "2024-11-18", doses: 12, productId: CAR_T_STANDARD_2019 },
  { lot: "NVS-CART-2024-007", releasedOn: "2024-03-04", doses: 9, productId: CAR_T_STANDARD_2019 },
  { lot: "NVS-CART-2015-002", releasedOn: "2015-06-22", doses: 3, productId: CAR_T_2014 },
];

/** The batches of the product with this global ID. */
const batchesOf = (id) => BATCHES.filter((batch) => batch.productId === id);

const resolvers = {
  Query: {
    partnerBatches: () => BATCHES,
  },
  Product: {
    // The router sends `{ __typename: "Product", id }`; the partner knows nothing else of it.
    __resolveReference: ({ id }) => ({ id }),
    partnerBatches: ({ id }) => batchesOf(id),
  },
  PartnerBatch: {
    // A reference: atmp-graph answers the product's own fields.
    product: (batch) => ({ __typename: "Product", id: batch.productId }),
  },
};

const server = new ApolloServer({
  schema: buildSubgraphSchema([{ typeDefs, resolvers }]),
});
const port = Number(process.env.PORT ?? 4001);
const { url } = await startStandaloneServer(server, {
  listen: { host: "127.0.0.1", port },
});
console.log(`supply subgraph at ${url}`);
