# nhiscan container image: a static binary on an empty base, run as a non-root
# user with the repository mounted at /src:
#
#   docker run --rm -v "$PWD:/src" ghcr.io/nhiscan/nhiscan scan .
#
# Two ways to fill it. `docker build .` compiles from source (stage `build`);
# the release workflow builds `--target release` from the static binaries it
# already made and attested (prebuilt/<arch>/nhiscan), so the image holds the
# very bytes of the release archives.
ARG RUST_VERSION=1.95
ARG ALPINE_VERSION=3.22

FROM rust:${RUST_VERSION}-alpine${ALPINE_VERSION} AS build
# musl-dev: the static C runtime the musl target links.
RUN apk add --no-cache musl-dev
WORKDIR /build
COPY . .
RUN cargo build --release --locked && cp target/release/nhiscan /nhiscan

# CA roots for `nhiscan audit` (rustls reads the system bundle).
FROM alpine:${ALPINE_VERSION} AS certs
RUN apk add --no-cache ca-certificates

FROM scratch AS release
ARG TARGETARCH
COPY --from=certs /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY prebuilt/${TARGETARCH}/nhiscan /usr/local/bin/nhiscan
# A numeric uid: there is no /etc/passwd in an empty image. Mount the repository
# readable by it (or run with --user "$(id -u)" so git ownership checks pass).
USER 65532:65532
WORKDIR /src
ENTRYPOINT ["/usr/local/bin/nhiscan"]
CMD ["scan", "."]

FROM scratch
COPY --from=certs /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /nhiscan /usr/local/bin/nhiscan
USER 65532:65532
WORKDIR /src
ENTRYPOINT ["/usr/local/bin/nhiscan"]
CMD ["scan", "."]
