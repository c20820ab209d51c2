#!/bin/bash
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
# Container health check of a SoundRelay node: GET /livez on its control API (CONTROL_API_ADDR, the same
# variable the node reads) and exit 0 on HTTP 200. /livez answers 200 while the process and every data-plane
# thread turn and never asks Redis: a node serving from memory while Redis is away is alive, and restarting it
# would not bring Redis back.
# Bash's /dev/tcp only: the JRE image need not have curl or wget.
set -u

addr="${CONTROL_API_ADDR:-0.0.0.0:4300}"
port="${addr##*:}"
host="${addr%:*}"
case "$host" in
  0.0.0.0 | "[::]" | "") host=127.0.0.1 ;; # listening everywhere: ask over loopback
  \[*\]) host="${host#[}"; host="${host%]}" ;;
esac

{ exec 3<>"/dev/tcp/$host/$port"; } 2>/dev/null || { echo "control API $host:$port: connection refused"; exit 1; }
printf 'GET /livez HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$host" >&3
IFS= read -r -t 5 status <&3 || { echo "control API $host:$port: no answer"; exit 1; }
case "$status" in
  "HTTP/1."?" 200"*) exit 0 ;;
esac
echo "control API $host:$port: ${status%$'\r'}"
exit 1
