// Runs one query through the composed graph that needs both subgraphs, in both directions:
// the partner's batches with atmp-graph's products (atmp-graph's `_entities`), and atmp-graph's
// products with the partner's batches (the partner's `_entities`). Prints the answer and fails
// unless it holds the values of both.
//
// Usage: node query.mjs GATEWAY_URL

const QUERY = `query PartnerBatchesAndProducts {
  partnerBatches {
    lot
    doses
    product { name atmpClass developingUnit { shortName campus } }
  }
  products(filter: { name: { contains: "CAR-T" } }, orderBy: [{ field: NAME, direction: ASC }]) {
    nodes { name partnerBatches { lot releasedOn } }
  }
}`;

/** What the answer must hold: from the partner (lots) and from atmp-graph (names, units). */
function problems(body) {
  const found = [];
  const check = (what, ok) => ok || found.push(what);
  check("no errors", !body.errors);
  const batches = body.data?.partnerBatches ?? [];
  const newest = batches[0];
  check("the partner's newest lot", newest?.lot === "NVS-CART-2024-031");
  check(
    "its product's name from atmp-graph",
    newest?.product?.name === "CAR-T cells for standard treatment",
  );
  check(
    "its product's developing unit from atmp-graph",
    newest?.product?.developingUnit?.shortName === "CAST",
  );
  const products = body.data?.products?.nodes ?? [];
  const europe = products.find(
    (p) => p.name === "First CAR-T cells to enter clinical trials in Europe",
  );
  check(
    "atmp-graph's product with the partner's batches",
    europe?.partnerBatches?.length === 1 &&
      europe.partnerBatches[0].lot === "NVS-CART-2015-002",
  );
  return found.map((what) => `missing: ${what}`);
}

const [url] = process.argv.slice(2);
if (!url) {
  console.error("usage: node query.mjs GATEWAY_URL");
  process.exit(2);
}
const response = await fetch(url, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ query: QUERY }),
});
const body = await response.json();
console.log(QUERY);
console.log(JSON.stringify(body, null, 2));
const missing = problems(body);
if (missing.length) {
  for (const problem of missing) console.error(problem);
  process.exit(1);
}
console.log("the answer holds values from both subgraphs");
