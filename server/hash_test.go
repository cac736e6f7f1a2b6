package server

import (
	"strconv"

	"github.com/strata-db/strata/server/resp"
)

func init() {
	diffFamilies = append(diffFamilies, &diffFamily{name: "hash", gen: genHashCommand})
	diffCompare["hrandfield"] = sameRandField
	diffCompare["hkeys"] = sameUnordered
	diffCompare["hvals"] = sameUnordered
	diffCompare["hgetall"] = samePairs
	diffCompare["hscan"] = func(want, got resp.Value) bool {
		if len(want.Elems) != 2 || len(got.Elems) != 2 || want.Elems[0].String() != got.Elems[0].String() {
			return want.String() == got.String()
		}
		return samePairs(want.Elems[1], got.Elems[1])
	}
}

// samePairs compares maps, or flat arrays of field/value pairs, as sets of
// pairs (Redis keeps small hashes in insertion order, Strata in key order).
func samePairs(want, got resp.Value) bool {
	pairs := func(v resp.Value) resp.Value {
		out := resp.Value{Kind: resp.KindArray}
		for i := 0; i+1 < len(v.Elems); i += 2 {
			out.Elems = append(out.Elems, resp.Value{Kind: resp.KindArray, Elems: v.Elems[i : i+2]})
		}
		return out
	}
	if want.Kind != got.Kind || len(want.Elems) != len(got.Elems) {
		return want.String() == got.String()
	}
	return sameUnordered(pairs(want), pairs(got))
}

// hashFields is a small field alphabet so that commands collide.
var hashFields = []string{"f0", "f1", "f2", "f3", "", "n", "fl"}

func (g *diffGen) hashField() string { return g.pick(hashFields...) }

func genHashCommand(g *diffGen) []string {
	r := g.r
	k := g.key()
	switch r.IntN(17) {
	case 0, 1:
		a := []string{g.pick("HSET", "HMSET", "hset"), k}
		for n := 1 + r.IntN(3); n > 0; n-- {
			a = append(a, g.hashField(), g.val())
		}
		if r.IntN(15) == 0 {
			a = a[:len(a)-1] // odd: wrong number of arguments
		}
		return a
	case 2:
		return []string{"HSETNX", k, g.hashField(), g.val()}
	case 3:
		return []string{"HGET", k, g.hashField()}
	case 4:
		return []string{"HMGET", k, g.hashField(), g.hashField(), g.hashField()}
	case 5:
		a := []string{"HDEL", k}
		for n := 1 + r.IntN(3); n > 0; n-- {
			a = append(a, g.hashField())
		}
		return a
	case 6:
		return []string{g.pick("HLEN", "HGETALL", "HKEYS", "HVALS"), k}
	case 7:
		return []string{g.pick("HSTRLEN", "HEXISTS"), k, g.hashField()}
	case 8, 9:
		return []string{"HINCRBY", k, g.pick("n", "f0", "fl"), g.pick(g.intArg(), "1", "-3", "9223372036854775807", "x")}
	case 10:
		return []string{"HINCRBYFLOAT", k, g.pick("fl", "n", "f1"), g.pick(g.floatArg(), "1.5", "inf", "abc", "-2")}
	case 11:
		switch r.IntN(4) {
		case 0:
			return []string{"HRANDFIELD", k}
		case 1:
			return []string{"HRANDFIELD", k, strconv.Itoa(r.IntN(12) - 6)}
		case 2:
			return []string{"HRANDFIELD", k, strconv.Itoa(r.IntN(12) - 6), g.pick("WITHVALUES", "withvalues", "bogus")}
		}
		return []string{"HRANDFIELD", k, g.pick("x", "-9223372036854775808", "0")}
	case 12:
		a := []string{"HSCAN", k, g.pick("0", "0", "abc", "-1")}
		if r.IntN(2) == 0 {
			a = append(a, "MATCH", g.pick("f*", "*", "n", "x"))
		}
		if r.IntN(3) == 0 {
			a = append(a, "COUNT", g.pick("100", "0", "x"))
		}
		if r.IntN(10) == 0 {
			a = append(a, "TYPE")
		}
		return a
	case 13:
		return []string{g.pick("DEL", "TYPE", "EXISTS", "TTL"), k}
	case 14:
		return []string{"EXPIRE", k, g.pick("100", "0", "-1")}
	case 15:
		return []string{g.pick("RENAME", "COPY"), k, g.key()}
	}
	return []string{"SET", k, g.val()}
}

// sameRandField compares HRANDFIELD replies by shape: the same kind and
// length (fields are random; a full distinct pick has the same set).
func sameRandField(want, got resp.Value) bool {
	if want.Kind != got.Kind || isNull(want) != isNull(got) || len(want.Elems) != len(got.Elems) {
		return false
	}
	return true
}
