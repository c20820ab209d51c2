/*
 * Copyright 2026 The SoundRelay Authors
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     https://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */

// Schema checks of the deployment files, run by .ci/validate-deploy from the directory where it installed
// package.json's validators (so that the imports below resolve there):
//
//   node validate.mjs compose    REPO   docker-compose.yml against the Compose Specification schema
//   node validate.mjs k8s        REPO   k8s/: every object against the Kubernetes OpenAPI schema, then
//                                       TypeScript's excess-property check (unknown fields)
//   node validate.mjs grafana    REPO   the dashboard JSON against Grafana's own TypeScript types
//   node validate.mjs dockerfile REPO   the Dockerfile with the linter of VS Code's Dockerfile support
//
// Each prints what it checked on stdout and exits 1, listing the problems on stdout, when any is found.

import { readFileSync, writeFileSync, mkdirSync, rmSync, existsSync } from "node:fs";
import { join, dirname, basename, resolve } from "node:path";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const [, , command, repoArg] = process.argv;
const repo = resolve(repoArg ?? ".");
const problems = [];
const fail = (where, what) => problems.push(`${where}: ${what}`);

function finish(summary)
{
    if (problems.length > 0)
    {
        for (const p of problems)
        {
            console.log(p);
        }
        process.exit(1);
    }
    console.log(summary);
}

// TypeScript over generated files: object literals get excess-property checks at every depth, so a field the
// type doesn't have (a typo, a field at the wrong level) is an error, as are wrong types and enum values.
function typecheck(dir, files)
{
    const tsc = require.resolve("typescript/bin/tsc");
    const r = spawnSync(process.execPath, [tsc, "--noEmit", "--strict", "--skipLibCheck", "--pretty", "false",
        "--target", "es2022", "--module", "nodenext", "--moduleResolution", "nodenext", ...files],
        { cwd: dir, encoding: "utf8" });
    const out = (r.stdout + r.stderr).trim();
    if (r.status !== 0)
    {
        for (const line of out.split("\n"))
        {
            if (line.trim() !== "")
            {
                fail("tsc", line.trim());
            }
        }
    }
}

async function compose()
{
    const YAML = (await import("yaml")).default;
    const Ajv = (await import("ajv")).default;
    const schemaPath = join(dirname(require.resolve("dclint/package.json")), "schemas", "compose.schema.json");
    const schema = JSON.parse(readFileSync(schemaPath, "utf8"));
    delete schema.$schema; // draft-07, Ajv's default; its https spelling is not one Ajv has built in
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(schema);
    const file = join(repo, "docker-compose.yml");
    // Compose reads YAML 1.2 with merge keys (<<: *anchor).
    const doc = YAML.parse(readFileSync(file, "utf8"), { merge: true });
    if (!validate(doc))
    {
        for (const e of validate.errors)
        {
            fail("docker-compose.yml", `${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`);
        }
    }
    const version = JSON.parse(readFileSync(require.resolve("dclint/package.json"), "utf8")).version;
    finish(`docker-compose.yml: ${Object.keys(doc.services ?? {}).length} services valid against the Compose ` +
        `Specification schema (dclint ${version}'s copy)`);
}

async function k8s()
{
    const YAML = (await import("yaml")).default;
    const dir = join(repo, "k8s");
    const kustomization = YAML.parse(readFileSync(join(dir, "kustomization.yaml"), "utf8"));
    const listed = new Set(kustomization.resources ?? []);
    const onDisk = (await import("node:fs")).readdirSync(dir)
        .filter((f) => /\.ya?ml$/.test(f) && f !== "kustomization.yaml");
    for (const f of onDisk)
    {
        if (!listed.has(f))
        {
            fail("k8s/kustomization.yaml", `${f} is not in resources`);
        }
    }
    for (const f of listed)
    {
        if (!existsSync(join(dir, f)))
        {
            fail("k8s/kustomization.yaml", `resources names ${f}, which does not exist`);
        }
    }

    const work = join(here, ".k8s-check");
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work);
    const tsFiles = [];
    let objects = 0;
    const kinds = new Set();
    for (const f of onDisk.sort())
    {
        // kubectl reads YAML 1.1 (sigs.k8s.io/yaml): "yes", "on", 0755 mean what they meant there.
        const docs = YAML.parseAllDocuments(readFileSync(join(dir, f), "utf8"), { version: "1.1" });
        let index = 0;
        for (const d of docs)
        {
            const where = `k8s/${f}#${index}`;
            if (d.errors.length > 0)
            {
                fail(where, d.errors.map((e) => e.message).join("; "));
                continue;
            }
            const obj = d.toJS();
            index++;
            if (obj === null)
            {
                continue;
            }
            if (typeof obj.apiVersion !== "string" || typeof obj.kind !== "string")
            {
                fail(where, "no apiVersion or kind");
                continue;
            }
            if (!obj.metadata?.name)
            {
                fail(where, "no metadata.name");
            }
            if (obj.metadata?.namespace)
            {
                fail(where, "has a namespace: the manifests are namespace-less (kubectl -n, or kustomization.yaml)");
            }
            const module = `kubernetes-models/${obj.apiVersion}/${obj.kind}`;
            let Model;
            try
            {
                Model = (await import(module))[obj.kind];
            }
            catch (e)
            {
                fail(where, `${obj.apiVersion} ${obj.kind} is not a Kubernetes API kind kubernetes-models knows`);
                continue;
            }
            try
            {
                new Model(obj).validate();
            }
            catch (e)
            {
                fail(where, `${obj.kind} ${obj.metadata?.name}: ${e.message}`);
            }
            objects++;
            kinds.add(obj.kind);
            const ts = `${f.replace(/\W/g, "_")}_${index - 1}.mts`;
            writeFileSync(join(work, ts),
                `// ${where}\nimport type { I${obj.kind} } from "${module}";\n` +
                `export const object: I${obj.kind} = ${JSON.stringify(obj, null, 2)};\n`);
            tsFiles.push(ts);
        }
    }
    typecheck(work, tsFiles);
    const version = JSON.parse(readFileSync(require.resolve("kubernetes-models/package.json"), "utf8")).version;
    finish(`k8s/: ${objects} objects (${[...kinds].sort().join(", ")}) valid against the Kubernetes 1.34 ` +
        `OpenAPI schema (kubernetes-models ${version}) and its types (no unknown fields); kustomization.yaml ` +
        `lists all ${onDisk.length} files`);
}

async function grafana()
{
    const file = join(repo, "deploy", "grafana", "dashboards", "soundrelay.json");
    const dash = JSON.parse(readFileSync(file, "utf8"));
    const work = join(here, ".grafana-check");
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work);
    const raw = "@grafana/schema/dist/esm/raw/composable";
    const lines = [
        `import type { Dashboard, Panel, RowPanel, DataQuery } from "@grafana/schema";`,
        `import type * as timeseries from "${raw}/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen.js";`,
        `import type * as stat from "${raw}/stat/panelcfg/x/StatPanelCfg_types.gen.js";`,
        `import type * as heatmap from "${raw}/heatmap/panelcfg/x/HeatmapPanelCfg_types.gen.js";`,
        // JSON has no enums: a string enum accepts the strings of its values. Everything is optional (Grafana
        // fills in defaults), but a field no type has is an error, as are wrong types and enum values.
        `type J<T> = T extends string ? \`\${T}\` : T extends (infer U)[] ? J<U>[] :`,
        `  T extends object ? { [K in keyof T]?: J<T[K]> } : T;`,
        // The Prometheus data source's query fields (Grafana's Prometheus plugin; not in @grafana/schema).
        `interface PromQuery extends DataQuery { expr: string; legendFormat?: string; range?: boolean;`,
        `  instant?: boolean; format?: "time_series" | "table" | "heatmap"; interval?: string;`,
        `  exemplar?: boolean; editorMode?: "code" | "builder"; }`,
        `type QueryPanel = Omit<Panel, "targets"> & { targets?: PromQuery[] };`,
    ];
    const { panels, ...rest } = dash;
    lines.push(`export const dashboard: J<Omit<Dashboard, "panels">> = ${JSON.stringify(rest)};`);
    const known = { timeseries: "timeseries", stat: "stat", heatmap: "heatmap" };
    const all = [];
    for (const p of panels ?? [])
    {
        all.push(p);
        for (const inner of p.panels ?? [])
        {
            all.push(inner);
        }
    }
    let n = 0;
    for (const p of all)
    {
        n++;
        if (p.type === "row")
        {
            lines.push(`export const panel${n}: J<RowPanel> = ${JSON.stringify(p)};`);
            continue;
        }
        const { options, fieldConfig, ...panel } = p;
        lines.push(`export const panel${n}: J<QueryPanel> = ${JSON.stringify(panel)};`);
        const t = known[p.type];
        if (!t)
        {
            fail(`panel "${p.title}"`, `type ${p.type}: no types to check it against (timeseries, stat, heatmap)`);
            continue;
        }
        const { custom, ...defaults } = fieldConfig?.defaults ?? {};
        lines.push(`export const panel${n}Options: J<${t}.Options> = ${JSON.stringify(options ?? {})};`);
        lines.push(`export const panel${n}Defaults: J<Panel["fieldConfig"]>= ` +
            `${JSON.stringify({ ...fieldConfig, defaults })};`);
        if (custom !== undefined)
        {
            lines.push(`export const panel${n}Custom: J<${t}.FieldConfig> = ${JSON.stringify(custom)};`);
        }
    }
    writeFileSync(join(work, "dashboard.mts"), lines.join("\n") + "\n");
    typecheck(work, ["dashboard.mts"]);
    const version = JSON.parse(readFileSync(require.resolve("@grafana/schema/package.json"), "utf8")).version;
    finish(`${basename(file)}: dashboard and ${n} panels match @grafana/schema ${version}'s types (dashboard, ` +
        `panels, timeseries/stat/heatmap options)`);
}

async function dockerfile()
{
    const { validate } = require("dockerfile-utils");
    const file = join(repo, "Dockerfile");
    const text = readFileSync(file, "utf8");
    const diagnostics = validate(text, {});
    const lines = text.split("\n");
    for (const d of diagnostics)
    {
        const line = d.range.start.line;
        fail(`Dockerfile:${line + 1}`, `${d.message} [${lines[line].trim()}]`);
    }
    const version = JSON.parse(readFileSync(require.resolve("dockerfile-utils/package.json"), "utf8")).version;
    finish(`Dockerfile: no diagnostics from dockerfile-utils ${version}`);
}

const commands = { compose, k8s, grafana, dockerfile };
if (!commands[command])
{
    console.log(`usage: node validate.mjs ${Object.keys(commands).join("|")} REPO`);
    process.exit(2);
}
await commands[command]();
