package crashtest

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/strata-db/strata/server/resp"
)

// readKey reads one key's state from the server into a keyState of family
// fam.
func readKey(c *conn, name string, fam family) (*keyState, error) {
	s := newKeyState(fam)
	t, err := c.do("TYPE", name)
	if err != nil {
		return nil, err
	}
	if t.Kind != resp.KindSimpleString {
		return nil, fmt.Errorf("TYPE %s: %s", name, replyText(t))
	}
	if t.Str == "none" {
		return s, nil
	}
	if t.Str != typeNames[fam] {
		return nil, fmt.Errorf("%s has type %s, want %s or none", name, t.Str, typeNames[fam])
	}
	s.exists = true
	var read []string
	switch fam {
	case famString:
		read = []string{"GET", name}
	case famHash:
		read = []string{"HGETALL", name}
	case famList:
		read = []string{"LRANGE", name, "0", "-1"}
	case famSet:
		read = []string{"SMEMBERS", name}
	case famZSet:
		read = []string{"ZRANGE", name, "0", "-1", "WITHSCORES"}
	}
	vs, err := c.send(defaultTimeout, read, []string{"PTTL", name})
	if err != nil {
		return nil, err
	}
	v, ttl := vs[0], vs[1]
	if v.Kind == resp.KindError || ttl.Kind != resp.KindInteger {
		return nil, fmt.Errorf("reading %s: %s %s", name, replyText(v), replyText(ttl))
	}
	switch {
	case ttl.Int > 0:
		s.ttl = true
	case ttl.Int != -1:
		return nil, fmt.Errorf("PTTL %s = %d after TYPE %s", name, ttl.Int, t.Str)
	}
	switch fam {
	case famString:
		s.str = v.Str
	case famHash:
		for i := 0; i+1 < len(v.Elems); i += 2 {
			s.hash[v.Elems[i].Str] = v.Elems[i+1].Str
		}
	case famList:
		for _, e := range v.Elems {
			s.list = append(s.list, e.Str)
		}
	case famSet:
		for _, e := range v.Elems {
			s.set[e.Str] = true
		}
	case famZSet:
		for i := 0; i+1 < len(v.Elems); i += 2 {
			score, err := strconv.ParseInt(v.Elems[i+1].Str, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%s: score %q of %s", name, v.Elems[i+1].Str, v.Elems[i].Str)
			}
			s.zset[v.Elems[i].Str] = score
		}
	}
	return s, nil
}

// unknownKeys scans the keyspace and returns the keys no writer owns.
func unknownKeys(c *conn, known map[string]bool) ([]string, error) {
	var unknown []string
	cursor := "0"
	for {
		v, err := c.do("SCAN", cursor, "COUNT", "1000")
		if err != nil {
			return nil, err
		}
		if v.Kind != resp.KindArray || len(v.Elems) != 2 {
			return nil, fmt.Errorf("SCAN: %s", replyText(v))
		}
		for _, k := range v.Elems[1].Elems {
			if !known[k.Str] {
				unknown = append(unknown, k.Str)
			}
		}
		cursor = v.Elems[0].Str
		if cursor == "0" {
			return unknown, nil
		}
	}
}

// cutResult is what a restart showed of one writer's cycle.
type cutResult struct {
	// cut is the largest number of the writer's ops whose result matches
	// every key, or -1 when no prefix matches: some key is in a state that
	// never existed.
	cut int
	// mismatch describes the keys that differ at the floor when cut < floor.
	mismatch string
}

// findCut compares the observed states with the state after each prefix of
// the writer's ops. observed holds the canonical states read back.
func (w *writer) findCut(observed []string, floor int) cutResult {
	cur := append([]string(nil), w.start...)
	bad := 0
	for i := range cur {
		if cur[i] != observed[i] {
			bad++
		}
	}
	res := cutResult{cut: -1}
	atFloor := ""
	for c := 0; ; c++ {
		if bad == 0 {
			res.cut = c
		}
		if c == floor {
			atFloor = describeDiff(w, cur, observed)
		}
		if c == len(w.ops) {
			break
		}
		o := &w.ops[c]
		for j, k := range o.keys {
			was := cur[k] == observed[k]
			cur[k] = o.after[j]
			if now := cur[k] == observed[k]; was && !now {
				bad++
			} else if !was && now {
				bad--
			}
		}
	}
	if res.cut < floor {
		res.mismatch = atFloor
	}
	return res
}

func describeDiff(w *writer, want, got []string) string {
	var b strings.Builder
	for i := range want {
		if want[i] != got[i] {
			fmt.Fprintf(&b, "\n  %s: want %s, found %s", w.names[i], want[i], got[i])
		}
	}
	return b.String()
}
