// Validate rendered prometheus-operator objects (PrometheusRule, ServiceMonitor) against their
// own schema: @kubernetes-models/prometheus-operator's validators, generated from the operator's
// API types (the source of its CRDs' schemas). The Kubernetes API schema knows nothing of them.
// Reads a JSON array of objects on stdin; prints one line per problem; exits 1 if any.
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

// The package exports ES modules only: loaded by path from .tools/, where tools/install.sh put it.
const v1 = ".tools/node_modules/@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
const models = await import(pathToFileURL(resolve(v1, "index.js")));

let input = "";
for await (const chunk of process.stdin) input += chunk;
let problems = 0;
for (const object of JSON.parse(input)) {
  const name = `${object.kind}/${object.metadata?.name}`;
  const Model = ["PrometheusRule", "ServiceMonitor"].includes(object.kind) && models[object.kind];
  if (!Model || object.apiVersion !== "monitoring.coreos.com/v1") {
    console.log(`${name}: not a monitoring.coreos.com/v1 object this script knows`);
    problems += 1;
    continue;
  }
  try {
    new Model(object).validate();
  } catch (error) {
    for (const detail of error.errors ?? [error]) {
      console.log(`${name}: ${detail.instancePath ?? ""} ${detail.message}`);
      problems += 1;
    }
  }
}
if (problems > 0) process.exit(1);
