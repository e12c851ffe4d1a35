# nhiscan container image: the static binary on Alpine (a shell, so CI
# executors such as GitLab's can run scripts in it; CA roots for `nhiscan
# audit`), run as a non-root user with the repository mounted at /src:
#
#   docker run --rm -v "$PWD:/src" ghcr.io/nhiscan/nhiscan scan .
#
# Two ways to fill it. `docker build .` compiles from source (stage `build`);
# the release workflow builds `--target release` from the static binaries it
# already made and attested (prebuilt/<arch>/nhiscan), so the image holds the
# very bytes of the release archives. Neither final stage runs a command, so
# a multi-platform build needs no emulation.
ARG RUST_VERSION=1.95
ARG ALPINE_VERSION=3.22

FROM rust:${RUST_VERSION}-alpine${ALPINE_VERSION} AS build
# musl-dev: the static C runtime the musl target links.
RUN apk add --no-cache musl-dev
WORKDIR /build
COPY . .
RUN cargo build --release --locked && cp target/release/nhiscan /nhiscan

FROM alpine:${ALPINE_VERSION} AS release
ARG TARGETARCH
COPY prebuilt/${TARGETARCH}/nhiscan /usr/local/bin/nhiscan
# A numeric uid: mount the repository readable by it (or run with
# --user "$(id -u)" so git's ownership checks pass).
USER 65532:65532
WORKDIR /src
ENTRYPOINT ["/usr/local/bin/nhiscan"]
CMD ["scan", "."]

FROM alpine:${ALPINE_VERSION}
COPY --from=build /nhiscan /usr/local/bin/nhiscan
USER 65532:65532
WORKDIR /src
ENTRYPOINT ["/usr/local/bin/nhiscan"]
CMD ["scan", "."]
