# shellcheck shell=bash
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
# Sourced by .ci/run and .ci/validate-deploy: selects the JDK the project builds and runs on, Java 25 or newer.
#
#   select_java    exports JAVA_HOME and puts its bin/ first on PATH, so that ./mvnw, `java` and the node's
#                  launchers all use it; returns 1, having said why on stderr, when there is none.
#
# In order: /usr/lib/jvm/temurin-25-jdk-amd64 when it exists; JAVA_HOME when its java is 25+; the `java` on PATH
# when it is 25+.

SOUNDRELAY_JAVA_FEATURE=25
SOUNDRELAY_JAVA_PREFERRED=/usr/lib/jvm/temurin-25-jdk-amd64

# java_feature JAVA: the feature release (17, 21, 25, ...) of that java binary, or nothing when it does not run.
java_feature() {
  "$1" -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java\.specification\.version = \([0-9][0-9]*\).*/\1/p' | head -1
}

# java_home_of JAVA: the JDK directory of that java binary (its java.home).
java_home_of() {
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.home = //p' | head -1
}

select_java() {
  local candidate feature home=""
  if [ -x "$SOUNDRELAY_JAVA_PREFERRED/bin/java" ]; then
    home=$SOUNDRELAY_JAVA_PREFERRED
  else
    for candidate in ${JAVA_HOME:+"$JAVA_HOME/bin/java"} "$(command -v java 2> /dev/null || true)"; do
      [ -n "$candidate" ] && [ -x "$candidate" ] || continue
      feature=$(java_feature "$candidate")
      if [ -n "$feature" ] && [ "$feature" -ge "$SOUNDRELAY_JAVA_FEATURE" ]; then
        home=$(java_home_of "$candidate")
        break
      fi
    done
  fi
  if [ -z "$home" ]; then
    {
      echo "SoundRelay needs Java $SOUNDRELAY_JAVA_FEATURE or newer (a JDK) to build and run; found none:"
      echo "  $SOUNDRELAY_JAVA_PREFERRED does not exist,"
      echo "  JAVA_HOME=${JAVA_HOME:-(unset)}${JAVA_HOME:+ is Java $(java_feature "$JAVA_HOME/bin/java" || true)},"
      echo "  java on PATH: $(command -v java 2> /dev/null || echo none)$(command -v java > /dev/null 2>&1 &&
        echo " is Java $(java_feature "$(command -v java)")")."
      echo "Install a JDK $SOUNDRELAY_JAVA_FEATURE (e.g. Eclipse Temurin 25) and set JAVA_HOME to it."
    } >&2
    return 1
  fi
  export JAVA_HOME=$home
  export PATH="$JAVA_HOME/bin:$PATH"
}
