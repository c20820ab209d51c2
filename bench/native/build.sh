#!/usr/bin/env bash
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
# Builds the bench-only JNI library of SyscallBoundaryBenchmark: bench/native/srbench.c to
# bench/target/native/libsrbench.so (or $1). Needs gcc and JAVA_HOME (a JDK, for jni.h).
# The benchmark finds the library at bench/target/native/libsrbench.so from the repository root, or wherever
# -Dsoundrelay.bench.native=PATH says.

set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${1:-$SCRIPT_DIR/../target/native/libsrbench.so}
[[ -n ${JAVA_HOME:-} && -f $JAVA_HOME/include/jni.h ]] || { echo "build.sh: JAVA_HOME must name a JDK (no jni.h)" >&2; exit 1; }
mkdir -p "$(dirname "$OUT")"
gcc -O2 -Wall -Wextra -Werror -fPIC -shared \
    -I"$JAVA_HOME/include" -I"$JAVA_HOME/include/linux" \
    -o "$OUT" "$SCRIPT_DIR/srbench.c"
echo "$OUT"
