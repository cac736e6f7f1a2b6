package resp

import (
	"bufio"
	"bytes"
	"fmt"
	"testing"
)

// pipelinedSets returns n SET commands of 16-byte values as one pipeline.
func pipelinedSets(n int) []byte {
	var b []byte
	for i := range n {
		b = AppendCommand(b, []byte("SET"), fmt.Appendf(nil, "key:%06d", i), []byte("value-0123456789"))
	}
	return b
}

func BenchmarkReadCommandPipelinedSet(b *testing.B) {
	data := pipelinedSets(1000)
	r := NewReader(&loopReader{data: data}, Limits{})
	b.SetBytes(int64(len(data) / 1000))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.ReadCommand(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadCommandInline(b *testing.B) {
	var data []byte
	for i := range 1000 {
		data = fmt.Appendf(data, "SET key:%06d value-0123456789\r\n", i)
	}
	r := NewReader(&loopReader{data: data}, Limits{})
	b.SetBytes(int64(len(data) / 1000))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.ReadCommand(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadCommandSet4KiB(b *testing.B) {
	data := AppendCommand(nil, []byte("SET"), []byte("key"), bytes.Repeat([]byte("v"), 4096))
	r := NewReader(&loopReader{data: data}, Limits{})
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.ReadCommand(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriterBulk(b *testing.B) {
	for _, size := range []int{16, 1024} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			v := bytes.Repeat([]byte("x"), size)
			w := NewWriter(2)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				w.Bulk(v)
				if i++; w.Len() > 64<<10 {
					w.Reset()
				}
			}
		})
	}
}

func BenchmarkWriterMixed(b *testing.B) {
	for _, proto := range []int{2, 3} {
		b.Run(fmt.Sprintf("RESP%d", proto), func(b *testing.B) {
			w := NewWriter(proto)
			v := []byte("value-0123456789")
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				w.MapHeader(2)
				w.BulkString("field")
				w.Bulk(v)
				w.BulkString("score")
				w.Double(1.25)
				w.Integer(int64(i))
				w.SimpleString("OK")
				if i++; i%200 == 0 {
					w.Reset()
				}
			}
		})
	}
}

func BenchmarkAppendFloat(b *testing.B) {
	buf := make([]byte, 0, 32)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendFloat(buf[:0], 3.141592653589793)
	}
}

func BenchmarkReadReply(b *testing.B) {
	w := NewWriter(3)
	w.ArrayHeader(3)
	w.BulkString("value-0123456789")
	w.Integer(7)
	w.Double(2.5)
	br := bufio.NewReader(&loopReader{data: w.Buffer()})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadReply(br); err != nil {
			b.Fatal(err)
		}
	}
}
