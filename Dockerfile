# syntax=docker/dockerfile:1
#
# Container image of the pgai vectorizer worker: one `deno compile` binary on a
# distroless base (no shell, no package manager, runs as uid 65532 "nonroot").
#
#   docker build -t pgai-worker .
#   docker run --rm -e PGAI_VECTORIZER_WORKER_DB_URL=postgres://... pgai-worker
#
# Size estimate, well under 150 MB:
#   gcr.io/distroless/cc-debian12   ~ 23 MB (glibc, libgcc/libstdc++, CA certificates, tzdata)
#   /pgai                           ~ 95-105 MB (the Deno runtime "denort" is ~ 90-95 MB; our
#                                     code, npm dependencies, SQL and tokenizer data add a few MB)
#   total                           ~ 120-130 MB
#
# Multi-arch: the build stage always runs on the builder's own platform and
# cross-compiles for the requested one (`deno compile --target`), so an arm64
# image is built at native speed without QEMU.

FROM --platform=$BUILDPLATFORM denoland/deno:2.9.6 AS build
WORKDIR /src

# Dependency layer: re-run only when deno.json or deno.lock change.
COPY deno.json deno.lock ./
RUN deno install --frozen

COPY main.ts mod.ts ./
COPY src/ src/

ARG TARGETARCH
RUN case "${TARGETARCH}" in \
      amd64) target=x86_64-unknown-linux-gnu ;; \
      arm64) target=aarch64-unknown-linux-gnu ;; \
      *) echo "unsupported TARGETARCH '${TARGETARCH}' (expected amd64 or arm64)" >&2; exit 1 ;; \
    esac \
 && deno compile -A --frozen --target "${target}" --v8-flags=--max-semi-space-size=4,--no-allocation-site-pretenuring,--expose-gc --output /out/pgai main.ts

FROM gcr.io/distroless/cc-debian12:nonroot

# The release workflow passes VERSION, REVISION and SOURCE (and adds its own labels).
ARG VERSION=0.12.1
ARG REVISION=unknown
ARG SOURCE=unknown
LABEL org.opencontainers.image.title="pgai-worker" \
      org.opencontainers.image.description="pgai vectorizer worker (Deno, single binary): embeds rows queued by pgai vectorizers" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.base.name="gcr.io/distroless/cc-debian12:nonroot"

COPY --from=build --chown=0:0 --chmod=0755 /out/pgai /pgai

# The health endpoint must listen on all interfaces inside a container so that
# Kubernetes probes (which connect to the pod IP) can reach it. The port is set
# here as well as in CMD so that it survives a CMD override such as `-c 4`.
ENV PGAI_VECTORIZER_WORKER_HEALTH_PORT=8080 \
    PGAI_VECTORIZER_WORKER_HEALTH_HOST=0.0.0.0

USER nonroot
EXPOSE 8080

# Exec form throughout: distroless has no /bin/sh. `pgai health` probes the
# worker's own /healthz and exits 0 (healthy) or 1.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/pgai", "health", "--port", "8080"]

# `docker stop` sends SIGTERM: the worker finishes or rolls back its in-flight
# batch, sends a final heartbeat and exits 0. Use `docker stop -t 30` (or
# stop_grace_period / terminationGracePeriodSeconds) to leave it the time.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/pgai", "vectorizer", "worker"]
CMD ["--health-port", "8080"]
