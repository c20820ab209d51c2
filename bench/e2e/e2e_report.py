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
"""Helpers of bench/e2e/run.sh (Python 3 standard library only).

  e2e_report.py table MANIFEST ROWS LOADS
      Print the Markdown results tables, then notes, from the runs listed in MANIFEST (written by run.sh, one run a
      line, tab-separated: row load repeat json_path loadgen_exit cpu_ticks clk_tck valid note; json_path is
      relative to MANIFEST's directory, '-' for none; loadgen_exit is -1 for a run that could not be made;
      cpu_ticks is '-' when not measured; valid is 0 for a run that must not count (the relay died during it),
      and the note says why; '-' for no note). ROWS and LOADS are comma-separated and give the order of the tables.
      Up to three tables: the relays of the default rows under nominal and saturation load; the relay-port rows
      (direct-sockets, c-ports*, node-shared-sockets-*, node-ports-*; direct too when it ran) with their ratios; the
      echo load, both directions. For node runs with the node's metrics scraped before and after the run
      (JSON_BASE.metrics-before and JSON_BASE.metrics, next to the JSON), a table of each data-plane pipeline's
      share of the datagrams received in the run and the hand-offs between pipelines; nothing when the node does not
      export relay_pipeline_packets_received_total (an older node).

  e2e_report.py plot-series MANIFEST ROWS LOAD
      Print one line per row of ROWS (comma-separated) that ran LOAD: ROW=HGRM, the .hgrm file of the run the table
      shows for it (the round trip's, JSON_BASE.return.hgrm, under the echo load; JSON_BASE.hgrm otherwise), as
      arguments of 'soundrelay-tools plot'. Rows without such a file are left out.

  e2e_report.py clear-routes API_URL API_KEY
      Delete every route of a node (GET /routes page by page, DELETE /route/{id}); prints how many it deleted.

  e2e_report.py health-transport URL
      Print the "transport" field of a node's GET /health answer; exit 1 when it cannot be read.
"""

import json
import math
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

REFERENCE_ROWS = ("nginx", "c-recvmmsg")
PORT_ROW_PREFIXES = ("direct-sockets", "c-ports", "node-shared-sockets-", "node-ports-")
DIRECT_ROWS = ("direct", "direct-sockets")
PIPELINE_RECEIVED = "relay_pipeline_packets_received_total"
PIPELINE_HANDOFFS = "relay_pipeline_handoffs_total"
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)')
PIPELINE_LABEL = re.compile(r'pipeline="([^"]*)"')


def is_port_row(row):
    return row.startswith(PORT_ROW_PREFIXES)


def transport_of(row):
    """The node transport of a relay-port row (node-ports-epoll: epoll), or None."""
    for prefix in ("node-shared-sockets-", "node-ports-"):
        if row.startswith(prefix):
            return row[len(prefix):]
    return None


def load_runs(manifest):
    runs = []
    base = os.path.dirname(os.path.abspath(manifest))
    with open(manifest, encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            fields = line.split("\t")
            if len(fields) != 9:
                raise SystemExit(f"{manifest}:{line_no}: expected 9 tab-separated fields, got {len(fields)}")
            row, load, repeat, json_path, exit_code, cpu_ticks, clk_tck, valid, note = fields
            run = {
                "row": row,
                "load": load,
                "repeat": int(repeat),
                "json_path": json_path,
                "exit": int(exit_code),
                "cpu_ticks": None if cpu_ticks == "-" else int(cpu_ticks),
                "clk_tck": int(clk_tck),
                "note": note if note != "-" else "",
                "result": None,
                "error": None,
            }
            path = json_path if os.path.isabs(json_path) else os.path.join(base, json_path)
            try:
                if json_path == "-":
                    raise FileNotFoundError(json_path)
                with open(path, encoding="utf-8") as jf:
                    run["result"] = json.load(jf)
            except FileNotFoundError:
                run["error"] = "no JSON result"
            except (OSError, ValueError) as ex:
                run["error"] = f"unreadable JSON result ({ex})"
            if run["result"] is not None and not isinstance(run["result"], dict):
                run["result"] = None
                run["error"] = "JSON result is not an object"
            if run["exit"] == -1:
                run["result"] = None
                run["error"] = run["note"] or "not run"
                run["note"] = ""
            elif valid == "0":
                run["error"] = "not counted: " + (run["note"] or "invalid run")
                run["note"] = ""
            elif run["exit"] not in (0, 1) and run["error"] is None:
                run["error"] = f"loadgen exit status {run['exit']}"
            runs.append(run)
    return runs


def number(value):
    """A finite float from a JSON value, or None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def latency(result, key):
    lat = result.get("latency_us")
    if not isinstance(lat, dict):
        return None
    return number(lat.get(key))


def returned(result):
    """The "return" object of an --echo run, or None."""
    back = result.get("return") if result else None
    return back if isinstance(back, dict) else None


def cpu_per_million(run):
    if run["cpu_ticks"] is None or run["result"] is None:
        return None
    # The CPU window is the generator's measured window (after --warmup), so divide by what arrived from it; with
    # --echo the relay carried every datagram twice, so both directions count.
    received = number(run["result"].get("measured_received", run["result"].get("received")))
    back = returned(run["result"])
    if received is not None and back is not None:
        received += number(back.get("measured_received")) or 0.0
    if not received or run["clk_tck"] <= 0:
        return None
    return (run["cpu_ticks"] / run["clk_tck"]) / (received / 1e6)


def read_pipeline_metrics(path):
    """({pipeline: datagrams received}, handoffs or None) from a Prometheus text scrape; None when unreadable."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    received = {}
    handoffs = None
    for line in lines:
        m = SAMPLE.match(line)
        if not m:
            continue
        name, labels, value = m.group(1), m.group(2) or "", number_text(m.group(3))
        if value is None:
            continue
        if name == PIPELINE_RECEIVED:
            label = PIPELINE_LABEL.search(labels)
            if label:
                received[label.group(1)] = received.get(label.group(1), 0.0) + value
        elif name == PIPELINE_HANDOFFS:
            handoffs = (handoffs or 0.0) + value
    return received, handoffs


def number_text(text):
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def pipeline_figures(manifest, run):
    """The run's per-pipeline datagrams and hand-offs (after minus before), or None when the node exports none."""
    if run is None or not run["row"].startswith("node-") or run["json_path"] == "-":
        return None
    path = run["json_path"]
    if not os.path.isabs(path):
        path = os.path.join(os.path.dirname(os.path.abspath(manifest)), path)
    base = path[:-len(".json")] if path.endswith(".json") else path
    after = read_pipeline_metrics(base + ".metrics")
    if after is None or not after[0]:
        return None
    before = read_pipeline_metrics(base + ".metrics-before") or ({}, None)
    received = {k: v - before[0].get(k, 0.0) for k, v in after[0].items()}
    handoffs = None if after[1] is None else after[1] - (before[1] or 0.0)
    return received, handoffs


def pipeline_table(manifest, rows, loads, chosen):
    out = []
    for load in loads:
        for row in rows:
            figures = pipeline_figures(manifest, chosen.get((row, load)))
            if figures is None:
                continue
            received, handoffs = figures
            total = sum(received.values())
            order = sorted(received, key=lambda k: (0, int(k)) if k.isdigit() else (1, k))
            shares = ", ".join(f"{k}: {fmt_int(received[k])} ({100.0 * received[k] / total:.1f} %)"
                               if total > 0 else f"{k}: {fmt_int(received[k])}" for k in order)
            handoff_share = f"{100.0 * handoffs / total:.2f}" if handoffs is not None and total > 0 else "-"
            out.append(f"| {row} | {load} | {len(order)} | {fmt_int(total)} | {shares} "
                       f"| {fmt_int(handoffs)} | {handoff_share} |")
    if not out:
        return []
    return ["Data-plane pipelines (the node's counters over the run, scraped before and after it; the shown run):", "",
            "| row | load | pipelines | datagrams received | per pipeline (share) | hand-offs | hand-offs % |",
            "| --- | --- | ---: | ---: | --- | ---: | ---: |"] + out


def round_trip(result, key):
    back = returned(result)
    if back is None or not isinstance(back.get("latency_us"), dict):
        return None
    return number(back["latency_us"].get(key))


def pick_median(runs, load):
    """The run shown for a row: the median by delivered pps (saturation) or by p99 latency (other loads)."""
    good = [r for r in runs if r["error"] is None and r["result"] is not None]
    if not good:
        return None, runs
    if load == "saturation":
        key = lambda r: number(r["result"].get("delivered_pps")) or 0.0
    elif load == "echo":
        key = lambda r: round_trip(r["result"], "p99") if round_trip(r["result"], "p99") is not None else math.inf
    else:
        key = lambda r: latency(r["result"], "p99") if latency(r["result"], "p99") is not None else math.inf
    ordered = sorted(good, key=key)
    return ordered[(len(ordered) - 1) // 2], good


def fmt_int(value):
    return "-" if value is None else f"{value:,.0f}"


def fmt_us(value):
    if value is None:
        return "-"
    return f"{value:.1f}" if value < 100 else f"{value:,.0f}"


def fmt_pct(value):
    return "-" if value is None else f"{value:.3f}"


def fmt_cpu(value):
    return "-" if value is None else f"{value:.2f}"


def fmt_ratio(value, reference):
    if value is None or not reference:
        return "-"
    return f"{value / reference:.2f}x"


def table(manifest, rows_csv, loads_csv):
    rows = [r for r in rows_csv.split(",") if r]
    loads = [l for l in loads_csv.split(",") if l]
    runs = load_runs(manifest)

    chosen = {}
    notes = []
    for load in loads:
        for row in rows:
            mine = [r for r in runs if r["row"] == row and r["load"] == load]
            if not mine:
                continue
            run, good = pick_median(mine, load)
            chosen[(row, load)] = run
            for r in mine:
                where = f"{row} / {load} run {r['repeat']}"
                if r["error"]:
                    notes.append(f"{where}: {r['error']}" + (f"; {r['note']}" if r["note"] else ""))
                    continue
                if r["note"]:
                    notes.append(f"{where}: {r['note']}")
                res = r["result"]
                if res.get("passed") is False and load != "saturation":
                    why = "; ".join(str(f) for f in res.get("failures", [])) if isinstance(res.get("failures"), list) \
                        else ""
                    notes.append(f"{where}: loadgen FAILED the run (loss {fmt_pct(number(res.get('loss_percent')))} %, "
                                 f"lost {fmt_int(number(res.get('lost')))} of {fmt_int(number(res.get('sent')))}"
                                 + (f"; {why}" if why else "") + ")")
                for field in ("duplicates", "corrupt"):
                    n = number(res.get(field))
                    if n:
                        notes.append(f"{where}: {fmt_int(n)} {field}")
                back = returned(res)
                if back is not None:
                    for field in ("duplicates", "corrupt", "unexpected", "echo_errors"):
                        n = number(back.get(field))
                        if n:
                            notes.append(f"{where}: {fmt_int(n)} {field.replace('_', ' ')} on the way back")
            if len(good) > 1 and run is not None:
                pps = [number(r["result"].get("delivered_pps")) or 0.0 for r in good]
                if load == "echo":
                    p99 = [round_trip(r["result"], "p99") for r in good]
                    what = "round-trip p99"
                else:
                    p99 = [latency(r["result"], "p99") for r in good]
                    what = "p99"
                p99 = [v for v in p99 if v is not None]
                spread = f"delivered pps {fmt_int(min(pps))} to {fmt_int(max(pps))}"
                if p99:
                    spread += f", {what} {fmt_us(min(p99))} to {fmt_us(max(p99))} µs"
                notes.append(f"{row} / {load}: {len(good)} good runs, {spread}; shown: run {run['repeat']} (median)")

    def pps_of(row, load):
        run = chosen.get((row, load))
        return number(run["result"].get("delivered_pps")) if run is not None else None

    def cpu_of(row, load):
        run = chosen.get((row, load))
        return cpu_per_million(run) if run is not None else None

    out = []
    classic_rows = [r for r in rows if not is_port_row(r)]
    classic_loads = [l for l in loads if l != "echo"]
    if any((r, l) in chosen for r in classic_rows for l in classic_loads if r != "direct") \
            or not any(is_port_row(r) for r in rows):
        out.append("| row | load | delivered pps | loss % | p50 µs | p99 µs | p99.9 µs | CPU s / M datagrams "
                   "| vs nginx | vs c-recvmmsg |")
        out.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for load in classic_loads:
            refs = {ref: pps_of(ref, load) for ref in REFERENCE_ROWS}
            for row in classic_rows:
                if (row, load) not in chosen:
                    continue
                run = chosen[(row, load)]
                if run is None:
                    out.append(f"| {row} | {load} | error | - | - | - | - | - | - | - |")
                    continue
                res = run["result"]
                pps = number(res.get("delivered_pps"))
                cells = [
                    row, load, fmt_int(pps), fmt_pct(number(res.get("loss_percent"))),
                    fmt_us(latency(res, "p50")), fmt_us(latency(res, "p99")), fmt_us(latency(res, "p99_9")),
                    "-" if row == "direct" else fmt_cpu(cpu_per_million(run)),
                    "-" if row == "nginx" else fmt_ratio(pps, refs["nginx"]),
                    "-" if row == "c-recvmmsg" else fmt_ratio(pps, refs["c-recvmmsg"]),
                ]
                out.append("| " + " | ".join(cells) + " |")

    port_rows = [r for r in rows if is_port_row(r)]
    if port_rows and any((r, l) in chosen for r in port_rows for l in classic_loads):
        if out:
            out.append("")
        out.append("Relay ports (a socket per stream):")
        out.append("")
        out.append("| row | load | delivered pps | loss % | p50 µs | p99 µs | CPU s / M datagrams "
                   "| pps vs node-shared-sockets | pps vs c-ports | CPU vs c-ports |")
        out.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for load in classic_loads:
            for row in (["direct"] if "direct" in rows else []) + port_rows:
                if (row, load) not in chosen:
                    continue
                run = chosen[(row, load)]
                if run is None:
                    out.append(f"| {row} | {load} | error | - | - | - | - | - | - | - |")
                    continue
                res = run["result"]
                pps = number(res.get("delivered_pps"))
                cpu = None if row in DIRECT_ROWS else cpu_per_million(run)
                shared = None
                if row.startswith("node-ports-"):
                    shared = pps_of("node-shared-sockets-" + transport_of(row), load)
                cells = [
                    row, load, fmt_int(pps), fmt_pct(number(res.get("loss_percent"))),
                    fmt_us(latency(res, "p50")), fmt_us(latency(res, "p99")), fmt_cpu(cpu),
                    fmt_ratio(pps, shared) if row.startswith("node-ports-") else "-",
                    "-" if row in ("c-ports",) + DIRECT_ROWS else fmt_ratio(pps, pps_of("c-ports", load)),
                    "-" if row in ("c-ports",) + DIRECT_ROWS else fmt_ratio(cpu, cpu_of("c-ports", load)),
                ]
                out.append("| " + " | ".join(cells) + " |")

    if "echo" in loads and any((r, "echo") in chosen for r in rows):
        if out:
            out.append("")
        out.append("Echo (nominal load both ways; latency is the round trip, from the scheduled send to the return):")
        out.append("")
        out.append("| row | delivered pps | returned pps | loss % | loss back % | round trip p50 µs | p99 µs "
                   "| p99.9 µs | CPU s / M datagrams (both ways) | CPU vs c-ports |")
        out.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for row in rows:
            if (row, "echo") not in chosen:
                continue
            run = chosen[(row, "echo")]
            if run is None:
                out.append(f"| {row} | error | - | - | - | - | - | - | - | - |")
                continue
            res = run["result"]
            back = returned(res) or {}
            cpu = None if row in DIRECT_ROWS else cpu_per_million(run)
            cells = [
                row, fmt_int(number(res.get("delivered_pps"))), fmt_int(number(back.get("delivered_pps"))),
                fmt_pct(number(res.get("loss_percent"))), fmt_pct(number(back.get("loss_percent"))),
                fmt_us(round_trip(res, "p50")), fmt_us(round_trip(res, "p99")), fmt_us(round_trip(res, "p99_9")),
                fmt_cpu(cpu),
                "-" if row in ("c-ports",) + DIRECT_ROWS else fmt_ratio(cpu, cpu_of("c-ports", "echo")),
            ]
            out.append("| " + " | ".join(cells) + " |")

    pipelines = pipeline_table(manifest, rows, loads, chosen)
    if pipelines:
        if out:
            out.append("")
        out.extend(pipelines)

    print("\n".join(out))
    if notes:
        print()
        print("Notes:")
        print()
        for note in notes:
            print(f"- {note}")


def request(method, url, key):
    req = urllib.request.Request(url, method=method, headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        body = resp.read()
        return resp.status, body


def clear_routes(api, key):
    api = api.rstrip("/")
    deleted = 0
    for _ in range(10_000):
        status, body = request("GET", f"{api}/routes?limit=1000", key)
        routes = json.loads(body).get("routes", [])
        if not routes:
            break
        for route in routes:
            stream_id = urllib.parse.quote(str(route["stream_id"]), safe="")
            try:
                request("DELETE", f"{api}/route/{stream_id}", key)
                deleted += 1
            except urllib.error.HTTPError as ex:
                if ex.code != 404:
                    raise
    print(deleted)


def health_transport(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            print(json.loads(resp.read()).get("transport", ""))
    except (OSError, ValueError):
        sys.exit(1)


def plot_series(manifest, rows_csv, load):
    base = os.path.dirname(os.path.abspath(manifest))
    runs = load_runs(manifest)
    for row in [r for r in rows_csv.split(",") if r]:
        mine = [r for r in runs if r["row"] == row and r["load"] == load]
        run, _ = pick_median(mine, load) if mine else (None, None)
        if run is None or run["json_path"] == "-":
            continue
        json_path = run["json_path"] if os.path.isabs(run["json_path"]) else os.path.join(base, run["json_path"])
        hgrm = json_path[:-len(".json")] + (".return.hgrm" if load == "echo" else ".hgrm")
        if os.path.isfile(hgrm):
            print(f"{row}={hgrm}")


def main(argv):
    if len(argv) == 4 and argv[0] == "table":
        table(argv[1], argv[2], argv[3])
    elif len(argv) == 4 and argv[0] == "plot-series":
        plot_series(argv[1], argv[2], argv[3])
    elif len(argv) == 3 and argv[0] == "clear-routes":
        clear_routes(argv[1], argv[2])
    elif len(argv) == 2 and argv[0] == "health-transport":
        health_transport(argv[1])
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main(sys.argv[1:])
