# SoundRelay node image. Docker is optional: the jar runs the same way without it.
#   docker build -t soundrelay .      (or: docker compose up --build)
# Settings are the node's environment variables (README, "Configuration"): docker run -e / --env-file.
# Host networking (see docker-compose.yml) is the way to run it: UDP through Docker's port proxy and NAT
# costs throughput and latency, rewrites the sources' addresses (routes match on them), and targets must
# see datagrams come from the node's advertised relay address. On a bridge network, set ADVERTISE_HOST
# to an IP address other nodes and the sources reach this container at (an IP literal, not a name).
# BuildKit (the default builder since Docker 23) is needed for the cache mount below.

# ---- build ---------------------------------------------------------------------------------------
FROM maven:3.9-eclipse-temurin-25 AS build
WORKDIR /src
# The poms first: the layer with the dependency cache survives source changes. The reactor needs every
# module's pom, but only the node (control) and what it depends on are built.
COPY mvnw pom.xml ./
COPY .mvn .mvn
COPY protocol/pom.xml protocol/pom.xml
COPY core/pom.xml core/pom.xml
COPY io/pom.xml io/pom.xml
COPY control/pom.xml control/pom.xml
COPY tools/pom.xml tools/pom.xml
COPY bench/pom.xml bench/pom.xml
COPY jda/pom.xml jda/pom.xml
COPY examples/jda-bot/pom.xml examples/jda-bot/pom.xml
COPY clients/discordjs/pom.xml clients/discordjs/pom.xml
COPY protocol/src protocol/src
COPY core/src core/src
COPY io/src io/src
COPY control/src control/src
RUN --mount=type=cache,target=/root/.m2 ./mvnw -B -q -Dmaven.test.skip=true -pl control -am package

# ---- run -----------------------------------------------------------------------------------------
FROM eclipse-temurin:25-jre
# A fixed numeric user, so that Kubernetes' runAsNonRoot can check it (k8s/statefulset.yaml runs as 10001).
RUN groupadd --system --gid 10001 soundrelay \
 && useradd --system --uid 10001 --gid soundrelay --home-dir /app --no-create-home --shell /usr/sbin/nologin soundrelay
WORKDIR /app
COPY --from=build /src/control/target/soundrelay.jar /app/soundrelay.jar
COPY --chmod=0755 deploy/docker/healthcheck.sh /usr/local/bin/soundrelay-healthcheck
COPY LICENSE /app/LICENSE
USER 10001:10001

# The node's own defaults, spelled out: every address on the container's interfaces.
ENV BIND_ADDR=0.0.0.0:4000 \
    CONTROL_API_ADDR=0.0.0.0:4300 \
    METRICS_ADDR=0.0.0.0:9100
# JVM options, read by the entry point. The heap follows the container's memory limit (container support is on
# by default in Java 25; the flag says so); for a dedicated node prefer a fixed heap, e.g.
#   JAVA_OPTS="-Xms512m -Xmx512m -XX:+AlwaysPreTouch -XX:+ExitOnOutOfMemoryError"
ENV JAVA_OPTS="-XX:+UseContainerSupport -XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError"

# UDP relay (BIND_ADDR), control API (CONTROL_API_ADDR), Prometheus (METRICS_ADDR), and the relay ports of
# routes with a return path (RELAY_PORTS, default 40000-49999: EXPOSE documents the default; what counts is the
# range the node is given). On a bridge network, publish that range, e.g. RELAY_PORTS=40000-40999 with
#   docker run -p 4000:4000/udp -p 40000-40999:40000-40999/udp ...
# Every published port costs Docker a NAT rule (and, with its userland proxy on, a process of its own), so keep
# the range narrow there, or use host networking (docker-compose.yml), which publishes nothing.
EXPOSE 4000/udp 4300/tcp 9100/tcp 40000-49999/udp

# GET /livez on CONTROL_API_ADDR with bash's /dev/tcp (needs neither curl nor wget): 200 while the data plane turns,
# whatever Redis does.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 CMD ["/usr/local/bin/soundrelay-healthcheck"]

# SIGTERM (docker stop) makes the node drain and exit 0; exec keeps java as PID 1, so the signal reaches it.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/bin/sh", "-c", "exec java $JAVA_OPTS -jar /app/soundrelay.jar \"$@\"", "soundrelay"]
