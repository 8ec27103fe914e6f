# Baton container image: the frontend and binary built in throwaway stages,
# run on Debian slim with ffmpeg, and pocketsphinx with its English model so
# transcripts work out of the box, privately, with no model to download
# (BATON_TRANSCRIBE=whisper or openai for better ones; see the README).
FROM node:20-bookworm-slim AS web
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
COPY --from=web /src/frontend/dist ./frontend/dist
RUN CGO_ENABLED=1 go build -trimpath -ldflags "-s -w" -o /out/baton ./cmd/baton

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg ca-certificates pocketsphinx pocketsphinx-en-us \
    && rm -rf /var/lib/apt/lists/* && useradd --system --home /data baton && mkdir -p /data && chown baton /data
COPY --from=build /out/baton /usr/local/bin/baton
USER baton
ENV BATON_ADDR=0.0.0.0:8080 BATON_DATA_DIR=/data BATON_LOG_FORMAT=json
EXPOSE 8080
VOLUME /data
ENTRYPOINT ["baton"]
CMD ["serve"]
