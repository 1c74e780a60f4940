// Validates custom resources against the schemas of their CustomResourceDefinitions.
// stdin: a JSON array of Kubernetes objects. stdout: a JSON array, one entry per object:
//   {"errors": [...]} (empty when valid) or {"unsupported": "<reason>"} when no schema is installed.
import { readFileSync } from "node:fs";

// API group -> npm package that carries the generated models for that group.
const PACKAGES = {
  "traefik.io": "@kubernetes-models/traefik",
  "cert-manager.io": "@kubernetes-models/cert-manager",
  "acme.cert-manager.io": "@kubernetes-models/cert-manager",
  "monitoring.coreos.com": "@kubernetes-models/prometheus-operator",
};

async function modelFor(apiVersion, kind) {
  const group = apiVersion.includes("/") ? apiVersion.split("/")[0] : "";
  const pkg = PACKAGES[group];
  if (!pkg) return { unsupported: `no schema package for API group ${group || "core"}` };
  let module;
  try {
    module = await import(`${pkg}/${apiVersion}`);
  } catch {
    return { unsupported: `${pkg} has no models for ${apiVersion}` };
  }
  if (!module[kind]) return { unsupported: `${pkg} has no ${kind} in ${apiVersion}` };
  return { model: module[kind] };
}

const objects = JSON.parse(readFileSync(0, "utf8"));
const results = [];
for (const object of objects) {
  const { model, unsupported } = await modelFor(object.apiVersion ?? "", object.kind ?? "");
  if (unsupported) {
    results.push({ unsupported });
    continue;
  }
  try {
    new model(object).validate();
    results.push({ errors: [] });
  } catch (error) {
    const details = Array.isArray(error.errors)
      ? error.errors.map((e) => `${e.instancePath || "/"}: ${e.message}`)
      : [String(error.message)];
    results.push({ errors: details });
  }
}
process.stdout.write(JSON.stringify(results));
