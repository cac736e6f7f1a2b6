package codec

import (
	"errors"
	"reflect"
	"testing"
)

func TestLCS(t *testing.T) {
	f := newFixture(t)
	f.set("a", "ohmytext")
	f.set("b", "mynewtext")
	res, err := f.db.LCS(b("a"), b("b"), LCSOptions{})
	if err != nil || string(res.LCS) != "mytext" || res.Len != 6 {
		t.Fatalf("LCS = %+v %v", res, err)
	}
	res, _ = f.db.LCS(b("a"), b("b"), LCSOptions{Len: true})
	if res.Len != 6 || res.LCS != nil {
		t.Fatalf("LCS LEN = %+v", res)
	}
	// Redis's documented IDX example: matches from the end backwards.
	res, _ = f.db.LCS(b("a"), b("b"), LCSOptions{IDX: true})
	want := []LCSMatch{{A: [2]int64{4, 7}, B: [2]int64{5, 8}, Len: 4}, {A: [2]int64{2, 3}, B: [2]int64{0, 1}, Len: 2}}
	if !reflect.DeepEqual(res.Matches, want) || res.Len != 6 {
		t.Fatalf("LCS IDX = %+v", res)
	}
	res, _ = f.db.LCS(b("a"), b("b"), LCSOptions{IDX: true, MinMatchLen: 4, WithMatchLen: true})
	if !reflect.DeepEqual(res.Matches, want[:1]) {
		t.Fatalf("LCS IDX MINMATCHLEN 4 = %+v", res.Matches)
	}
	// Missing keys are empty strings.
	res, err = f.db.LCS(b("a"), b("nope"), LCSOptions{IDX: true})
	if err != nil || res.Len != 0 || len(res.Matches) != 0 {
		t.Fatalf("LCS with missing key = %+v %v", res, err)
	}
	f.set("x", "aaaa")
	f.set("y", "aa")
	res, _ = f.db.LCS(b("x"), b("y"), LCSOptions{IDX: true})
	if string(res.LCS) != "aa" || len(res.Matches) != 1 || res.Matches[0].A != [2]int64{2, 3} || res.Matches[0].B != [2]int64{0, 1} {
		t.Fatalf("LCS aaaa aa = %+v", res)
	}
	f.putComplex(0, "h", TypeHash, 3, 0)
	if _, err := f.db.LCS(b("a"), b("h"), LCSOptions{}); !errors.Is(err, ErrLCSNotString) {
		t.Fatalf("LCS hash: %v", err)
	}
	if _, err := f.db.LCS(b("a"), b("b"), LCSOptions{MaxTableBytes: 100}); !errors.Is(err, ErrLCSTooBig) {
		t.Fatalf("LCS over the table limit: %v", err)
	}
}
