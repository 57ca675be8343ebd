// PostGraphile 5 for bench/run.sh: the amber preset over the benchmark database, with the
// relations bench/postgraphile/schema.sql declares as smart comments, the filters of
// postgraphile-plugin-connection-filter (relations included) and the aggregates of
// @graphile/pg-aggregates, both pinned in package.json for the query-power shapes.
// run.sh sets DATABASE_URL, PGRAPHILE_PORT and PGRAPHILE_POOL; served on 127.0.0.1 only.
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";
import { PostGraphileConnectionFilterPreset } from "postgraphile-plugin-connection-filter";
import { PgAggregatesPreset } from "@graphile/pg-aggregates";

const port = Number(process.env.PGRAPHILE_PORT ?? 5678);
// The same pool size as atmp-graph's ATMP_DB_CONNECTIONS, so neither has more connections.
const max = Number(process.env.PGRAPHILE_POOL ?? 16);

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset, PostGraphileConnectionFilterPreset, PgAggregatesPreset],
  pgServices: [
    makePgService({
      connectionString: process.env.DATABASE_URL,
      schemas: ["public"],
      poolConfig: { max },
    }),
  ],
  schema: { connectionFilterRelations: true },
  grafserv: { host: "127.0.0.1", port, graphiql: false, watch: false },
  grafast: { explain: false },
};

export default preset;
