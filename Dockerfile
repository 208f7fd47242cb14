# Builds the single heldsway binary into a small non-root image.
FROM golang:1.26-bookworm AS build
# golang images set GOTOOLCHAIN=local, which would build with the image's Go
# and ignore go.mod's toolchain line (the release with the security fixes
# govulncheck asks for); auto lets the go command fetch that release.
ENV GOTOOLCHAIN=auto
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download && go version | grep -F "$(sed -n 's/^toolchain //p' go.mod)"
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/heldsway ./cmd/heldsway

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --home /var/lib/heldsway heldsway \
 && mkdir -p /var/lib/heldsway && chown heldsway /var/lib/heldsway \
 && apt-get update && apt-get install -y --no-install-recommends ca-certificates curl && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/heldsway /usr/local/bin/heldsway
USER heldsway
WORKDIR /var/lib/heldsway
ENV HELDSWAY_DATA_DIR=/var/lib/heldsway HELDSWAY_LOG_FORMAT=json
ENTRYPOINT ["heldsway"]
