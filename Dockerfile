# SoundRelay node image. Docker is optional: the jar runs the same way without it.
#   docker build -t soundrelay .      (or: docker compose up --build)
# Run it with host networking (see docker-compose.yml): UDP through Docker's port proxy and NAT
# costs throughput and latency, and targets must see datagrams come from the host's relay address.

# ---- build ---------------------------------------------------------------------------------------
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY mvnw pom.xml ./
COPY .mvn .mvn
COPY core core
COPY io io
COPY control control
COPY tools tools
COPY bench bench
RUN --mount=type=cache,target=/root/.m2 ./mvnw -q -DskipTests package

# ---- run -----------------------------------------------------------------------------------------
FROM eclipse-temurin:17-jre
RUN groupadd --system soundrelay \
 && useradd --system --gid soundrelay --home-dir /app --no-create-home --shell /usr/sbin/nologin soundrelay
WORKDIR /app
COPY --from=build /src/control/target/soundrelay.jar /app/soundrelay.jar
COPY LICENSE /app/LICENSE
USER soundrelay
# UDP relay (BIND_ADDR), control API (CONTROL_API_ADDR), Prometheus (METRICS_ADDR).
EXPOSE 4000/udp 4300/tcp 9100/tcp
# SIGTERM (docker stop) makes the node drain and exit 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["java", "-jar", "/app/soundrelay.jar"]
