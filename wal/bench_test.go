package wal

import (
	"bytes"
	"fmt"
	"io"
	"testing"
)

func BenchmarkAppend(b *testing.B) {
	for _, size := range []int{64, 1024} {
		p := make([]byte, size)
		// Appends that ask for nothing but a place in the log.
		b.Run(fmt.Sprintf("size=%d/nosync", size), func(b *testing.B) {
			w := NewWriter(discardFile{}, 1, WriterOptions{SyncPolicy: SyncNo})
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if err := w.Append(p, false, nil); err != nil {
					b.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
		})
		// Concurrent appenders that each wait for a synced acknowledgement,
		// on a file whose Sync is free: measures the group commit overhead.
		b.Run(fmt.Sprintf("size=%d/sync", size), func(b *testing.B) {
			w := NewWriter(discardFile{}, 1, WriterOptions{SyncPolicy: SyncAlways})
			b.SetBytes(int64(size))
			b.ReportAllocs()
			b.SetParallelism(8)
			b.RunParallel(func(pb *testing.PB) {
				var wt Waiter
				for pb.Next() {
					if err := w.Append(p, true, &wt); err != nil {
						b.Fatal(err)
					}
					if err := wt.Wait(); err != nil {
						b.Fatal(err)
					}
				}
			})
			m := w.Metrics()
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(m.Records)/float64(max(m.Syncs, 1)), "records/sync")
		})
	}
}

func BenchmarkReader(b *testing.B) {
	var recs [][]byte
	for i := range 4096 {
		recs = append(recs, record(100+i%900, uint64(i)))
	}
	data := writeLog(b, 1, recs)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r := NewReader(bytes.NewReader(data), 1)
		for {
			if _, err := r.Next(); err != nil {
				if err != io.EOF {
					b.Fatal(err)
				}
				break
			}
		}
	}
}
