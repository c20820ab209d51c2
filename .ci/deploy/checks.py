#!/usr/bin/env python3
#
# Copyright 2026 The SoundRelay Authors
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     https://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.
#
"""Checks of the deployment files that need only Python 3 and PyYAML, run by .ci/validate-deploy.

  checks.py parse REPO               every YAML (all documents) and JSON file of the deployment parses
  checks.py settings REPO OUT_DIR    node settings in compose, k8s/ and the systemd env file are variables the
                                     node reads; writes each set as a .env file to OUT_DIR for ConfigCheck.java
  checks.py metrics REPO SCRAPE      metric and label names in the dashboard's and the alert rules' PromQL are
                                     ones the node exports (SCRAPE: its /metrics)
  checks.py dashboard REPO           panel ids and grid, data source references, provisioning paths vs compose
  checks.py drain REPO               each supervisor lets a stopping node drain: compose stop_grace_period, the
                                     unit's TimeoutStopSec (KillSignal=SIGTERM, KillMode=mixed), the pods'
                                     terminationGracePeriodSeconds above DRAIN_TIMEOUT_SECONDS plus a margin; the
                                     PodDisruptionBudget and the rolling update take one pod at a time; the
                                     compose and image health checks ask /livez
  checks.py promql REPO OUT          writes the dashboard's queries, Grafana variables filled in, as recording
                                     rules to OUT, for promtool check rules to parse with Prometheus' own parser
  checks.py dockerignore REPO        the Dockerfile's COPY sources exist and .dockerignore lets them through
  checks.py syscalls REPO STRACE...  the system calls in strace -c summaries are all allowed by the unit's
                                     SystemCallFilter (expanded with systemd-analyze syscall-filter)
  checks.py relay RELAY SRC DST ID   sends 100 RTP datagrams (SSRC ID) from 127.0.0.1:SRC to a node's relay
                                     port and a malformed one; exits 0 when all 100 arrive at 127.0.0.1:DST

Each prints one summary line and exits 0, or prints the problems and exits 1.
"""

import fnmatch
import glob
import json
import os
import re
import subprocess
import sys

import yaml

problems = []


def fail(where, what):
    problems.append(f"{where}: {what}")


def finish(summary):
    if problems:
        for p in problems:
            print(p)
        sys.exit(1)
    print(summary)
    sys.exit(0)


def rel(repo, path):
    return os.path.relpath(path, repo)


def deploy_files(repo, exts):
    files = []
    for pattern in ("deploy/**/*", "k8s/**/*"):
        files += [f for f in glob.glob(os.path.join(repo, pattern), recursive=True)
                  if os.path.isfile(f) and f.endswith(exts)]
    return sorted(set(files))


# --- parse ---------------------------------------------------------------------------------------------------

def cmd_parse(repo):
    yamls = deploy_files(repo, (".yml", ".yaml")) + [os.path.join(repo, "docker-compose.yml")]
    jsons = deploy_files(repo, (".json",))
    docs = 0
    for f in yamls:
        try:
            with open(f, encoding="utf-8") as fh:
                docs += sum(1 for d in yaml.safe_load_all(fh) if d is not None)
        except yaml.YAMLError as e:
            fail(rel(repo, f), str(e).replace("\n", " "))
    for f in jsons:
        try:
            with open(f, encoding="utf-8") as fh:
                json.load(fh)
        except ValueError as e:
            fail(rel(repo, f), str(e))
    finish(f"{len(yamls)} YAML files ({docs} documents) and {len(jsons)} JSON files parse")


# --- settings ------------------------------------------------------------------------------------------------

def node_names(repo):
    """Configuration.NAMES: the settings NodeSettings.ALL lists, each resolved to the name its Setting declares."""
    config = os.path.join(repo, "core/src/main/java/io/soundrelay/core/config")
    declared = {}
    for f in os.listdir(config):
        if f.endswith("Settings.java"):
            src = open(os.path.join(config, f), encoding="utf-8").read()
            for const, name in re.findall(r'Setting<[^=]*> (\w+) =\s*Setting\.\w+\(\s*"(\w+)"', src):
                declared[f[:-len(".java")] + "." + const] = name
    src = open(os.path.join(config, "NodeSettings.java"), encoding="utf-8").read()
    m = re.search(r"ALL = List\.of\((.*?)\);", src, re.S)
    if not m:
        sys.exit("NodeSettings.java: no ALL = List.of(...)")
    names = set()
    for ref in re.findall(r"\w+\.\w+", m.group(1)):
        if ref not in declared:
            sys.exit(f"NodeSettings.java: ALL lists {ref}, which declares no Setting")
        names.add(declared[ref])
    return names


def known(name, names):
    return name in names or name.startswith("OTEL_")


def interpolate(value):
    """Compose's ${VAR:-default} and ${VAR-default} with their defaults, $$ as $."""
    value = str(value)
    value = re.sub(r"\$\{(\w+)(:?-([^}]*))?\}", lambda m: m.group(3) or "", value)
    return value.replace("$$", "$")


def write_env(out, name, values):
    with open(os.path.join(out, name + ".env"), "w", encoding="utf-8") as fh:
        for k, v in values.items():
            fh.write(f"{k}='{v}'\n" if "'" not in v else f'{k}="{v}"\n')


def env_file_lines(path, commented):
    """KEY=value lines of an environment file; with commented, also the '#KEY=value' examples."""
    values = {}
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        m = re.match(r"^(#)?\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$", line)
        if not m or (m.group(1) and not commented):
            continue
        values[m.group(2)] = m.group(3)
    return values


def cmd_settings(repo, out):
    names = node_names(repo)
    os.makedirs(out, exist_ok=True)
    sets = 0
    extra_ok = {"JAVA_OPTS"}  # read by the entry point / ExecStart, not by the node

    # docker-compose.yml: the relay services' environment (the node's variables only), defaults interpolated.
    compose = yaml.safe_load(open(os.path.join(repo, "docker-compose.yml"), encoding="utf-8"))
    for svc, spec in compose["services"].items():
        if "soundrelay" not in str(spec.get("image", "")):
            continue
        env = spec.get("environment") or {}
        if isinstance(env, list):
            env = dict(e.split("=", 1) for e in env)
        for k in env:
            if not known(k, names) and k not in extra_ok:
                fail(f"docker-compose.yml services.{svc}.environment", f"{k} is not a variable the node reads")
        write_env(out, f"compose-{svc}", {k: interpolate(v) for k, v in env.items() if k not in extra_ok})
        sets += 1

    # k8s/: ConfigMap and Secret (envFrom) plus the container's env, with sample values for fieldRefs.
    objects = []
    for f in sorted(glob.glob(os.path.join(repo, "k8s", "*.yaml"))):
        objects += [d for d in yaml.safe_load_all(open(f, encoding="utf-8")) if d]
    by_name = {(o["kind"], o["metadata"]["name"]): o for o in objects if "metadata" in o}
    samples = {"metadata.name": "soundrelay-0", "status.podIP": "10.1.2.3", "status.hostIP": "10.0.0.7"}
    for o in objects:
        if o.get("kind") != "StatefulSet":
            continue
        for c in o["spec"]["template"]["spec"]["containers"]:
            values = {}
            for src in c.get("envFrom", []):
                if "configMapRef" in src:
                    kind, ref = "ConfigMap", src["configMapRef"]
                else:
                    kind, ref = "Secret", src["secretRef"]
                obj = by_name.get((kind, ref["name"]))
                if obj is None:
                    fail(f"k8s StatefulSet {o['metadata']['name']}", f"envFrom names {kind} {ref['name']}, not in k8s/")
                    continue
                data = dict(obj.get("data") or {})
                data.update(obj.get("stringData") or {})
                for k, v in data.items():
                    if not known(k, names):
                        fail(f"k8s {kind} {ref['name']}", f"{k} is not a variable the node reads")
                    values[k] = str(v)
            for e in c.get("env", []):
                if not known(e["name"], names) and e["name"] not in extra_ok:
                    fail(f"k8s StatefulSet {o['metadata']['name']} env",
                         f"{e['name']} is not a variable the node reads")
                if "value" in e:
                    values[e["name"]] = str(e["value"])
                elif "fieldRef" in e.get("valueFrom", {}):
                    values[e["name"]] = samples.get(e["valueFrom"]["fieldRef"]["fieldPath"], "x")
            values.pop("JAVA_OPTS", None)
            write_env(out, f"k8s-{o['metadata']['name']}-{c['name']}", values)
            sets += 1

    # The systemd environment file, as it is and with its commented examples switched on; .env.example likewise.
    for path, tag in ((os.path.join(repo, "deploy/systemd/soundrelay.env"), "systemd"),
                      (os.path.join(repo, ".env.example"), "env-example")):
        for commented in (False, True):
            values = env_file_lines(path, commented)
            for k in values:
                if not known(k, names) and k not in extra_ok:
                    fail(rel(repo, path), f"{k} is not a variable the node reads")
            values.pop("JAVA_OPTS", None)
            with open(os.path.join(out, f"{tag}{'-examples' if commented else ''}.env"), "w",
                      encoding="utf-8") as fh:
                fh.writelines(f"{k}={v}\n" for k, v in values.items())
            sets += 1
    finish(f"{sets} sets of node settings (compose relays, k8s pods, systemd env file, .env.example) use only "
           f"the node's {len(names)} variables and OTEL_*")


# --- metrics -------------------------------------------------------------------------------------------------

PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless",
                "offset", "inf", "nan", "start", "end", "atan2",
                # aggregation operators, which may be followed by "by (...)" instead of their parenthesis
                "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk",
                "quantile", "limitk", "limit_ratio"}
TARGET_LABELS = {"job", "instance", "node_id", "namespace"}  # added by Prometheus and the scrape configs
# Values that appear on /metrics only once they happened (the node exports zeros for the others).
EVENTUAL_VALUES = {"result": {"queued", "dropped", "conflict", "skipped"}}
DYNAMIC_LABELS = {"status", "method", "le"}
SYNTHETIC = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}
NUMBER = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?(?:ms|[smhdwy])*")
IDENT = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


def parse_scrape(text):
    series = {}  # name -> {label: set(values)}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s", line)
        if not m:
            continue
        labels = series.setdefault(m.group(1), {})
        for k, v in re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3) or ""):
            labels.setdefault(k, set()).add(v)
    return series


def selectors(expr):
    """(metric, [(label, op, value)]) for every vector selector of a PromQL expression."""
    expr = re.sub(r"\$\{?\w+\}?", "X", expr.replace("$__rate_interval", "5m"))  # Grafana variables
    out = []
    # label_values(metric{...}, label): Grafana's template query, not PromQL
    lv = re.match(r"^\s*label_values\(\s*(.*),\s*(\w+)\s*\)\s*$", expr, re.S)
    if lv:
        inner = selectors(lv.group(1))
        return [(m, ms + [(lv.group(2), "exists", "")]) for m, ms in inner] or [(None, [(lv.group(2), "exists", "")])]
    i = 0
    n = len(expr)
    while i < n:
        c = expr[i]
        if c in "\"'`":
            j = expr.index(c, i + 1)
            i = j + 1
            continue
        if c == "[":
            i = expr.index("]", i) + 1
            continue
        num = NUMBER.match(expr, i)
        if num and num.end() > i:
            i = num.end()  # a number or a duration (5m, 1h30m)
            continue
        m = IDENT.match(expr, i)
        if not m:
            i += 1
            continue
        word = m.group(0)
        j = m.end()
        k = j
        while k < n and expr[k].isspace():
            k += 1
        if k < n and expr[k] == "(":
            if word in ("by", "without", "on", "ignoring", "group_left", "group_right"):
                i = expr.index(")", k) + 1  # a label list
                continue
            i = k + 1  # a function or aggregation
            continue
        if word.lower() in PROMQL_WORDS:
            i = j
            continue
        matchers = []
        if k < n and expr[k] == "{":
            end = k + 1
            depth_quote = None
            while end < n:
                ch = expr[end]
                if depth_quote:
                    if ch == "\\":
                        end += 2
                        continue
                    if ch == depth_quote:
                        depth_quote = None
                elif ch in "\"'`":
                    depth_quote = ch
                elif ch == "}":
                    break
                end += 1
            matchers = re.findall(r'(\w+)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"', expr[k + 1:end])
            j = end + 1
        out.append((word, matchers))
        i = j
    return out


def dashboard_queries(dash):
    queries = []

    def walk(panels):
        for p in panels:
            for t in p.get("targets", []):
                if t.get("expr"):
                    queries.append((f'panel "{p.get("title")}"', t["expr"]))
            walk(p.get("panels", []))

    walk(dash.get("panels", []))
    for v in dash.get("templating", {}).get("list", []):
        if v.get("type") == "query":
            q = v.get("query")
            q = q.get("query") if isinstance(q, dict) else q
            if q:
                queries.append((f'variable "{v["name"]}"', q))
    return queries


def cmd_metrics(repo, scrape_file):
    series = parse_scrape(open(scrape_file, encoding="utf-8").read())
    if "relay_packets_received_total" not in series:
        sys.exit(f"{scrape_file}: not a SoundRelay /metrics scrape")
    queries = []
    dash_path = os.path.join(repo, "deploy/grafana/dashboards/soundrelay.json")
    queries += [(f"soundrelay.json {w}", q) for w, q in dashboard_queries(json.load(open(dash_path)))]
    rules = yaml.safe_load(open(os.path.join(repo, "deploy/prometheus/alerts.yml"), encoding="utf-8"))
    for g in rules["groups"]:
        for r in g["rules"]:
            queries.append((f"alerts.yml {r.get('alert') or r.get('record')}", r["expr"]))
    used = set()
    for where, q in queries:
        found = selectors(q)
        if not found:
            fail(where, f"no metric in {q!r}")
        for metric, matchers in found:
            if metric is None:
                continue
            used.add(metric)
            if metric in SYNTHETIC:
                continue
            if metric not in series:
                fail(where, f"{metric} is not a metric the node exports")
                continue
            for label, op, value in matchers:
                if label == "__name__" or label in TARGET_LABELS:
                    continue
                if label not in series[metric] and label not in DYNAMIC_LABELS:
                    fail(where, f"{metric} has no label {label}")
                    continue
                if op in ("=", "!=") and label not in DYNAMIC_LABELS and value not in series[metric].get(label, set()) \
                        and value not in EVENTUAL_VALUES.get(label, set()):
                    fail(where, f'{metric}{{{label}="{value}"}}: the node exports no such {label}')
    node = sorted(m for m in used if m not in SYNTHETIC)
    finish(f"{len(queries)} PromQL queries (dashboard, alert rules) name {len(node)} of the {len(series)} series "
           f"names the node exports, with their labels, and nothing else (besides Prometheus' own up)")


# --- dashboard -----------------------------------------------------------------------------------------------

def cmd_dashboard(repo):
    dash = json.load(open(os.path.join(repo, "deploy/grafana/dashboards/soundrelay.json"), encoding="utf-8"))
    panels = []

    def walk(ps):
        for p in ps:
            panels.append(p)
            walk(p.get("panels", []))

    walk(dash["panels"])
    ids = [p["id"] for p in panels]
    if len(ids) != len(set(ids)):
        fail("soundrelay.json", f"panel ids repeat: {sorted(i for i in ids if ids.count(i) > 1)}")
    cells = {}
    for p in panels:
        g = p["gridPos"]
        if g["x"] < 0 or g["x"] + g["w"] > 24:
            fail(f'panel "{p["title"]}"', f"gridPos {g} leaves the 24 columns")
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                if (x, y) in cells:
                    fail(f'panel "{p["title"]}"', f'overlaps panel "{cells[(x, y)]}"')
                    break
                cells[(x, y)] = p["title"]
            else:
                continue
            break
        refs = [p.get("datasource")] + [t.get("datasource") for t in p.get("targets", [])]
        for ref in refs:
            if p["type"] != "row" and (not isinstance(ref, dict) or ref.get("uid") != "${datasource}"):
                fail(f'panel "{p["title"]}"', f"data source {ref}: use the $datasource variable")
    variables = {v["name"]: v for v in dash["templating"]["list"]}
    ds_var = variables.get("datasource")
    prov = yaml.safe_load(open(os.path.join(repo, "deploy/grafana/provisioning/datasources/prometheus.yml")))
    prov_uids = {d["uid"] for d in prov["datasources"]}
    if not ds_var or ds_var["current"].get("value") not in prov_uids:
        fail("soundrelay.json", f"the datasource variable's default is not the provisioned data source {prov_uids}")
    # docker-compose.yml mounts what the provisioning files point at
    compose = yaml.safe_load(open(os.path.join(repo, "docker-compose.yml"), encoding="utf-8"))
    mounts = {}
    for v in compose["services"]["grafana"].get("volumes", []):
        parts = v.split(":")
        mounts[parts[1]] = parts[0]
    providers = yaml.safe_load(open(os.path.join(repo, "deploy/grafana/provisioning/dashboards/soundrelay.yml")))
    for p in providers["providers"]:
        path = p["options"]["path"]
        src = mounts.get(path)
        if src is None or os.path.normpath(src) != os.path.normpath("./deploy/grafana/dashboards"):
            fail("docker-compose.yml",
                 f"grafana does not mount deploy/grafana/dashboards at {path} (the provider's path)")
    provisioning = os.path.normpath(mounts.get("/etc/grafana/provisioning", ""))
    if provisioning != os.path.normpath("./deploy/grafana/provisioning"):
        fail("docker-compose.yml", "grafana does not mount deploy/grafana/provisioning at /etc/grafana/provisioning")
    env = compose["services"]["grafana"].get("environment", {})
    home = env.get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH")
    if home and not any(home == f"{t}/soundrelay.json" for t in mounts):
        fail("docker-compose.yml", f"GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH {home} is not a mounted file")
    prom = compose["services"]["prometheus"]
    if not any(v.startswith("./deploy/prometheus:/etc/prometheus") for v in prom.get("volumes", [])):
        fail("docker-compose.yml", "prometheus does not mount deploy/prometheus at /etc/prometheus")
    finish(f"soundrelay.json: {len(panels)} panels with unique ids on a 24-column grid without overlaps, all on "
           f"the $datasource variable; provisioning paths match docker-compose.yml's mounts")


# --- drain ---------------------------------------------------------------------------------------------------

DRAIN_MARGIN_S = 5  # after the drain's end the node closes its sockets, Redis and the JVM exits


def duration_s(text, units):
    """Seconds of a duration such as 75, 75s, 1m15s (compose) or 1min 15s (systemd); None when it does not parse."""
    text = str(text).strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    total, pos = 0.0, 0
    for m in re.finditer(r"\s*(\d+(?:\.\d+)?)\s*([a-z]+)", text):
        if m.start() != pos or m.group(2) not in units:
            return None
        total += float(m.group(1)) * units[m.group(2)]
        pos = m.end()
    return total if pos == len(text) and pos > 0 else None


COMPOSE_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
SYSTEMD_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1, "sec": 1, "second": 1, "seconds": 1, "m": 60, "min": 60,
                 "minute": 60, "minutes": 60, "h": 3600, "hr": 3600, "hour": 3600, "hours": 3600}


def drain_timeout(where, value, default):
    if value is None or str(value).strip() == "":
        return default
    try:
        return int(str(value).strip().strip("'\""))
    except ValueError:
        fail(where, f"DRAIN_TIMEOUT_SECONDS={value!r} is no whole number of seconds")
        return default


def check_grace(where, what, grace, drain):
    if grace is None:
        fail(where, f"{what} is missing or does not parse")
    elif grace < drain + DRAIN_MARGIN_S:
        fail(where, f"{what} {grace:g} s does not cover DRAIN_TIMEOUT_SECONDS {drain} s plus {DRAIN_MARGIN_S} s: "
                    f"the node is killed in mid-drain")


def cmd_drain(repo):
    # The default, as .env.example documents it (every variable the node reads is there with its default).
    example = env_file_lines(os.path.join(repo, ".env.example"), True)
    if "DRAIN_TIMEOUT_SECONDS" not in example:
        fail(".env.example", "does not document DRAIN_TIMEOUT_SECONDS")
    default = drain_timeout(".env.example", example.get("DRAIN_TIMEOUT_SECONDS"), 60)
    checked = []

    # docker-compose.yml: the relay services (the anchor's keys merged in by the YAML loader).
    script = open(os.path.join(repo, "deploy/docker/healthcheck.sh"), encoding="utf-8").read()
    script_livez = "GET /livez " in script
    if not script_livez:
        fail("deploy/docker/healthcheck.sh", "does not ask GET /livez")
    compose = yaml.safe_load(open(os.path.join(repo, "docker-compose.yml"), encoding="utf-8"))
    for svc, spec in compose["services"].items():
        if "soundrelay" not in str(spec.get("image", "")):
            continue
        where = f"docker-compose.yml services.{svc}"
        env = spec.get("environment") or {}
        if isinstance(env, list):
            env = dict(e.split("=", 1) for e in env)
        drain = drain_timeout(where, interpolate(env["DRAIN_TIMEOUT_SECONDS"]) if "DRAIN_TIMEOUT_SECONDS" in env
                              else None, default)
        check_grace(where, "stop_grace_period", duration_s(spec.get("stop_grace_period", "10s"), COMPOSE_UNITS),
                    drain)
        test = (spec.get("healthcheck") or {}).get("test")
        words = " ".join(test) if isinstance(test, list) else str(test or "")
        if not words or (spec.get("healthcheck") or {}).get("disable"):
            fail(where, "has no healthcheck")
        elif not ("/livez" in words or ("soundrelay-healthcheck" in words and script_livez)):
            fail(where, f"healthcheck {words!r} does not ask /livez")
        if spec.get("stop_signal", "SIGTERM") not in ("SIGTERM", "TERM", 15):
            fail(where, f"stop_signal {spec.get('stop_signal')}: the node drains on SIGTERM")
        checked.append(svc)

    # The systemd unit and its environment file.
    unit = open(os.path.join(repo, "deploy/systemd/soundrelay.service"), encoding="utf-8").read()

    def directive(name):
        found = re.findall(rf"^{name}=(.*)$", unit, re.M)
        return found[-1].strip() if found else None

    senv = env_file_lines(os.path.join(repo, "deploy/systemd/soundrelay.env"), True)
    if "DRAIN_TIMEOUT_SECONDS" not in senv:
        fail("deploy/systemd/soundrelay.env", "does not document DRAIN_TIMEOUT_SECONDS")
    check_grace("soundrelay.service", "TimeoutStopSec", duration_s(directive("TimeoutStopSec") or "90s",
                                                                   SYSTEMD_UNITS),
                drain_timeout("soundrelay.env", senv.get("DRAIN_TIMEOUT_SECONDS"), default))
    if directive("KillSignal") not in (None, "SIGTERM", "TERM", "15"):
        fail("soundrelay.service", f"KillSignal={directive('KillSignal')}: the node drains on SIGTERM")
    if directive("KillMode") not in ("mixed", "process"):
        fail("soundrelay.service", f"KillMode={directive('KillMode')}: SIGTERM must reach the main process alone "
                                   f"(mixed)")
    checked.append("systemd")

    # k8s/: the StatefulSet, its settings, the PodDisruptionBudget.
    objects = []
    for f in sorted(glob.glob(os.path.join(repo, "k8s", "*.yaml"))):
        objects += [d for d in yaml.safe_load_all(open(f, encoding="utf-8")) if d]
    by_name = {(o["kind"], o["metadata"]["name"]): o for o in objects if "metadata" in o}
    sets = [o for o in objects if o.get("kind") == "StatefulSet"]
    pdbs = [o for o in objects if o.get("kind") == "PodDisruptionBudget"]
    for o in sets:
        where = f"k8s StatefulSet {o['metadata']['name']}"
        pod = o["spec"]["template"]["spec"]
        for c in pod["containers"]:
            value = None
            for src in c.get("envFrom", []):
                ref = src.get("configMapRef")
                obj = by_name.get(("ConfigMap", ref["name"])) if ref else None
                if obj and "DRAIN_TIMEOUT_SECONDS" in (obj.get("data") or {}):
                    value = obj["data"]["DRAIN_TIMEOUT_SECONDS"]
            for e in c.get("env", []):
                if e["name"] == "DRAIN_TIMEOUT_SECONDS" and "value" in e:
                    value = e["value"]
            check_grace(f"{where} container {c['name']}", "terminationGracePeriodSeconds",
                        pod.get("terminationGracePeriodSeconds", 30), drain_timeout(where, value, default))
        strategy = o["spec"].get("updateStrategy", {"type": "RollingUpdate"})
        if strategy.get("type", "RollingUpdate") != "RollingUpdate":
            fail(where, f"updateStrategy {strategy.get('type')}: updates should replace one pod at a time")
        elif (strategy.get("rollingUpdate") or {}).get("maxUnavailable", 1) not in (1, "1"):
            fail(where, f"rollingUpdate.maxUnavailable {strategy['rollingUpdate']['maxUnavailable']}: one pod at "
                        f"a time, so the one leaving has a peer to drain to")
        labels = o["spec"]["template"]["metadata"].get("labels", {})
        covering = [p for p in pdbs
                    if all(labels.get(k) == v for k, v in p["spec"].get("selector", {}).get("matchLabels", {}).items())]
        if not covering:
            fail(where, "no PodDisruptionBudget selects its pods")
        for p in covering:
            if p["spec"].get("maxUnavailable") not in (1, "1") or "minAvailable" in p["spec"]:
                fail(f"k8s PodDisruptionBudget {p['metadata']['name']}",
                     f"maxUnavailable {p['spec'].get('maxUnavailable')}: one relay at a time (maxUnavailable: 1)")
        checked.append(o["metadata"]["name"])
    if not sets:
        fail("k8s/", "no StatefulSet")
    finish(f"drain: {', '.join(checked)} leave the node DRAIN_TIMEOUT_SECONDS + {DRAIN_MARGIN_S} s or more after "
           f"SIGTERM; compose health checks on /livez; PodDisruptionBudget and rolling update one pod at a time")


# --- promql --------------------------------------------------------------------------------------------------

def cmd_promql(repo, out):
    dash = json.load(open(os.path.join(repo, "deploy/grafana/dashboards/soundrelay.json"), encoding="utf-8"))
    rules = []
    for n, (where, q) in enumerate(dashboard_queries(dash)):
        lv = re.match(r"^\s*label_values\(\s*(.*),\s*\w+\s*\)\s*$", q, re.S)
        if lv:
            q = lv.group(1)
        q = q.replace("$__rate_interval", "1m").replace("${datasource}", "x")
        values = {"instance": ".*", "job": "soundrelay"}
        q = re.sub(r"\$\{?(\w+)\}?", lambda m: values.get(m.group(1), m.group(1)), q)
        rules.append({"record": f"dashboard:query{n}", "expr": q, "labels": {"query": where[:100]}})
    with open(out, "w", encoding="utf-8") as fh:
        yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}, fh, sort_keys=False, width=1000)
    print(f"{len(rules)} dashboard queries written to {out}")


# --- dockerignore --------------------------------------------------------------------------------------------

def ignore_patterns(repo):
    pats = []
    for line in open(os.path.join(repo, ".dockerignore"), encoding="utf-8"):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        neg = line.startswith("!")
        p = line[1:] if neg else line
        p = os.path.normpath(p.strip("/"))
        # Docker's matcher: ** any number of directories, * and ? within one path element
        rx = ""
        i = 0
        while i < len(p):
            if p.startswith("**", i):
                rx += ".*"
                i += 2
                if i < len(p) and p[i] == "/":
                    rx = rx[:-2] + "(?:.*/)?"
                    i += 1
            elif p[i] == "*":
                rx += "[^/]*"
                i += 1
            elif p[i] == "?":
                rx += "[^/]"
                i += 1
            else:
                rx += re.escape(p[i])
                i += 1
        pats.append((re.compile("^" + rx + "$"), neg, line))
    return pats


def excluded(path, pats):
    """Docker's rule: the last pattern that matches the path or one of its parent directories decides."""
    parts = path.split("/")
    result = False
    for rx, neg, _ in pats:
        if any(rx.match("/".join(parts[:n])) for n in range(1, len(parts) + 1)):
            result = not neg
    return result


def cmd_dockerignore(repo):
    # tracked files and new ones git does not ignore: what a commit of the work tree would hold
    tracked = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=repo,
                             capture_output=True, text=True, check=True).stdout.split()
    pats = ignore_patterns(repo)
    copies = 0
    for n, line in enumerate(open(os.path.join(repo, "Dockerfile"), encoding="utf-8"), 1):
        m = re.match(r"^\s*(COPY|ADD)\s+(.*)$", line)
        if not m:
            continue
        args = [a for a in m.group(2).split() if not a.startswith("--")]
        if "--from=" in m.group(2):
            continue
        copies += 1
        for src in args[:-1]:
            src = os.path.normpath(src)
            under = [f for f in tracked if f == src or f.startswith(src + "/")]
            if not under:
                fail(f"Dockerfile:{n}", f"COPY source {src} is no file of the repository")
                continue
            out = [f for f in under if excluded(f, pats)]
            if out:
                fail(f"Dockerfile:{n}", f".dockerignore leaves out {len(out)} file(s) COPY {src} needs, e.g. {out[0]}")
    secret = [f for f in (".env", "control/target/soundrelay.jar") if not excluded(f, pats)]
    if secret:
        fail(".dockerignore", f"sends {secret} to the build")
    finish(f"Dockerfile: {copies} COPY instructions from the build context, all sources tracked and let through "
           f".dockerignore (which keeps .env and target/ out)")


# --- syscalls ------------------------------------------------------------------------------------------------

def syscall_group(name, seen=None):
    seen = seen if seen is not None else set()
    if name in seen:
        return set()
    seen.add(name)
    out = subprocess.run(["systemd-analyze", "syscall-filter", name], capture_output=True, text=True, check=True)
    names = set()
    for line in out.stdout.splitlines():
        w = line.strip().split(" ")[0] if line.strip() else ""
        if not w or w.startswith("#") or w == name:
            continue
        names |= syscall_group(w, seen) if w.startswith("@") else {w}
    return names


def cmd_syscalls(repo, *summaries):
    unit = open(os.path.join(repo, "deploy/systemd/soundrelay.service"), encoding="utf-8").read()
    filters = re.findall(r"^SystemCallFilter=(.*)$", unit, re.M)
    if not filters:
        fail("soundrelay.service", "no SystemCallFilter=")
        finish("")
    allowed, denied = set(), set()
    for f in filters:
        for item in f.split():
            neg = item.startswith("~")
            item = item.lstrip("~")
            names = syscall_group(item) if item.startswith("@") else {item}
            (denied if neg else allowed).update(names)
    allowed -= denied
    used = {}
    for s in summaries:
        for line in open(s, encoding="utf-8"):
            m = re.match(r"^\s*[\d.]+\s+[\d.]+\s+\d+\s+\d+\s+(?:\d+\s+)?(\w+)\s*$", line)
            if m and m.group(1) != "total":
                used.setdefault(m.group(1), []).append(os.path.basename(s))
    if len(used) < 20:
        fail("strace", f"only {len(used)} system calls found in {summaries}: not a trace of the node")
    outside = sorted(n for n in used if n not in allowed)
    for n in outside:
        fail("soundrelay.service SystemCallFilter", f"the node calls {n} ({', '.join(sorted(set(used[n])))}), "
                                                    f"which {' '.join(filters)} does not allow")
    finish(f"the node's {len(used)} distinct system calls ({len(summaries)} runs) are all allowed by "
           f"SystemCallFilter={' '.join(filters)}")


# --- relay ---------------------------------------------------------------------------------------------------

def cmd_relay(relay, src, dst, stream_id):
    import socket
    import struct
    import time
    relay, src, dst, stream_id = int(relay), int(src), int(dst), int(stream_id)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tx.bind(("127.0.0.1", src))
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", dst))
    rx.settimeout(1.0)
    for i in range(100):
        tx.sendto(b"\x80\x00" + struct.pack(">HII", i, i * 960, stream_id) + bytes(160), ("127.0.0.1", relay))
        time.sleep(0.002)
    tx.sendto(b"not a frame", ("127.0.0.1", relay))
    n = 0
    try:
        while n < 100:
            rx.recv(2048)
            n += 1
    except OSError:
        pass
    if n != 100:
        sys.exit(f"{n} of 100 datagrams relayed")
    print("100 of 100 datagrams relayed")


if __name__ == "__main__":
    cmds = {"parse": cmd_parse, "settings": cmd_settings, "metrics": cmd_metrics, "dashboard": cmd_dashboard,
            "promql": cmd_promql, "drain": cmd_drain,
            "dockerignore": cmd_dockerignore, "syscalls": cmd_syscalls, "relay": cmd_relay}
    if len(sys.argv) < 3 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](*sys.argv[2:])
