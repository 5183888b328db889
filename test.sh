#!/usr/bin/env bash
# Runs every test: vet, the Go tests (with the race detector on the packages
# that run goroutines), the project's own sqllogictest suites and
# select1-select5 of the shared SQLite corpus.
set -euo pipefail
cd "$(dirname "$0")"
export GOFLAGS=${GOFLAGS:-}

echo "== go vet"
go vet ./...

echo "== go test"
go test -count=1 ./...

echo "== go test -race (concurrent packages)"
go test -count=1 -race ./pgwire/... ./state/...
# exec/stream's actors: the dataflow runtime's own tests (the operators'
# tests are single-goroutine and slow under the race detector).
go test -count=1 -race -run 'Dataflow|WatermarkAlignment' ./exec/stream/

echo "== sqllogictest: project suites (batch, then every query as a view, and views maintained through the DML)"
go run ./cmd/streamsql slt -j 2 sqllogictest/testdata
go run ./cmd/streamsql slt -j 2 --mode view sqllogictest/testdata
go run ./cmd/streamsql slt -j 2 --mode incremental sqllogictest/testdata
echo "== sqllogictest: SQLite select1-5"
if [ -d ../shared/sqllogictest/sqlite ]; then
  go run ./cmd/streamsql slt -j 2 \
    ../shared/sqllogictest/sqlite/select1.test ../shared/sqllogictest/sqlite/select2.test \
    ../shared/sqllogictest/sqlite/select3.test ../shared/sqllogictest/sqlite/select4.test \
    ../shared/sqllogictest/sqlite/select5.test
  echo "== sqllogictest: materialized views maintained through select1's DML"
  go run ./cmd/streamsql slt -j 2 --mode incremental \
    ../shared/sqllogictest/sqlite/select1.test ../shared/sqllogictest/sqlite/select2.test
fi
