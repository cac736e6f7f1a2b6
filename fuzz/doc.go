// Package fuzz holds Strata's native Go fuzz targets (go test -fuzz) and
// their seed corpora. It is a test-only leaf: it may import every package of
// the module, and nothing imports it.
//
// # Targets
//
//	FuzzRESPRequest   server/resp Reader on client requests (multibulk and inline)     resp_test.go
//	FuzzRESPReply     server/resp ReadReply on RESP2/RESP3 replies, re-encoded         resp_test.go
//	FuzzCodecKeys     codec key layouts and scores: round trips, byte order = order    codec_test.go
//	FuzzCodecMetadata codec metadata values: decode -> encode is the identity          codec_test.go
//	FuzzParseScore    codec score text: every accepted score survives its own text     codec_test.go
//	FuzzWALReader     wal Reader on arbitrary bytes                                    wal_test.go
//	FuzzSSTableReader sstable Reader on arbitrary bytes                                sstable_test.go
//	FuzzBatch         lsm DecodeBatch: an error, or a batch that re-encodes to input   batch_test.go
//	FuzzEngine        lsm DB run by an operation script against a sorted map           engine_test.go
//
// docs/RELIABILITY.md details what each checks and what fuzzing found.
//
// # Seed corpora
//
// Each target's seeds are files under testdata/fuzz/<Target>/ in the
// "go test fuzz v1" format, so `go test` (and `make test`) runs them all. The
// seeds named in seeds_test.go are generated from meaningful inputs (real
// logs, tables, batches and operation scripts written by the code under
// test); TestSeedCorpus checks that the committed files match, and
//
//	go test ./fuzz -run TestSeedCorpus -update-seeds
//
// rewrites them after a format change. Inputs the fuzzer found (crashers,
// kept as regression seeds) sit beside them under the names go test gave them.
//
// # Memory bounds
//
// Readers of untrusted bytes must never allocate from a declared length.
// The targets check it with the process's cumulative heap allocation
// (runtime/metrics "/gc/heap/allocs:bytes") around one pass over the input:
// the bytes allocated must stay within a budget linear in the input's size.
// The metric is exact for large objects and overcounts small ones by at most
// a few partly used spans, hence the fixed slack in every budget.
//
// # Running
//
//	make fuzz FUZZTIME=60s                     # every target in the module
//	go test -run '^$' -fuzz '^FuzzEngine$' -fuzztime 10m -parallel 1 ./fuzz/
//
// Targets that need a package's unexported internals stay in that package
// (codec's FuzzGlob, whose reference matcher is shared with the unit tests).
package fuzz
