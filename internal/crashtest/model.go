package crashtest

import (
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// family is the Redis type a key is used with. A key's name fixes its
// family, so commands never meet WRONGTYPE.
type family int

const (
	famString family = iota
	famHash
	famList
	famSet
	famZSet
	numFamilies
)

var familyNames = [numFamilies]string{"str", "hash", "list", "set", "zset"}

// typeNames are the replies of TYPE for each family.
var typeNames = [numFamilies]string{"string", "hash", "list", "set", "zset"}

// ttlSeconds is the TTL set by EXPIRE and SET EX: long enough never to
// elapse during a run, so a key's TTL is a yes/no part of its state.
const ttlSeconds = 10_000_000

// keyState is the model of one key.
type keyState struct {
	fam    family
	exists bool
	ttl    bool
	str    string
	hash   map[string]string
	list   []string
	set    map[string]bool
	zset   map[string]int64
}

func newKeyState(fam family) *keyState {
	s := &keyState{fam: fam}
	s.clear()
	return s
}

func (s *keyState) clear() {
	s.exists, s.ttl, s.str, s.list = false, false, "", nil
	s.hash, s.set, s.zset = map[string]string{}, map[string]bool{}, map[string]int64{}
}

// settle turns an emptied collection into a missing key, as Redis does.
func (s *keyState) settle() {
	if s.fam == famString {
		return
	}
	if len(s.hash)+len(s.list)+len(s.set)+len(s.zset) == 0 {
		s.clear()
	} else {
		s.exists = true
	}
}

// canon is the state in one comparable string. The server's state is read
// back into a keyState and compared through it.
func (s *keyState) canon() string {
	if !s.exists {
		return "none"
	}
	var b strings.Builder
	b.WriteString(familyNames[s.fam])
	if s.ttl {
		b.WriteString(" ttl")
	}
	b.WriteString(" ")
	switch s.fam {
	case famString:
		if len(s.str) > 256 {
			// Long values by digest: the model keeps a state per op.
			sum := sha256.Sum256([]byte(s.str))
			fmt.Fprintf(&b, "len=%d sha256=%x", len(s.str), sum[:8])
			break
		}
		b.WriteString(strconv.Quote(s.str))
	case famHash:
		for _, f := range sortedKeys(s.hash) {
			b.WriteString(f + "=" + s.hash[f] + " ")
		}
	case famList:
		b.WriteString(strings.Join(s.list, " "))
	case famSet:
		for _, m := range sortedKeys(s.set) {
			b.WriteString(m + " ")
		}
	case famZSet:
		for _, m := range sortedKeys(s.zset) {
			b.WriteString(m + ":" + strconv.FormatInt(s.zset[m], 10) + " ")
		}
	}
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// command is one command of a writer: its arguments and the reply the model
// expects.
type command struct {
	args  []string
	reply string
}

func intReply(n int) string     { return ":" + strconv.Itoa(n) }
func boolReply(ok bool) string  { return intReply(boolInt(ok)) }
func bulkReply(s string) string { return "$" + s }
func boolInt(ok bool) int {
	if ok {
		return 1
	}
	return 0
}
func cmd(reply string, args ...string) command { return command{args: args, reply: reply} }

// next picks a random command for key, applies it to the model and
// returns it. n is unique within the writer, for fresh values.
func (s *keyState) next(r *rand.Rand, key string, n int) command {
	tag := strconv.Itoa(n)
	switch p := r.IntN(100); {
	case p < 6:
		existed := s.exists
		s.clear()
		return cmd(boolReply(existed), "DEL", key)
	case p < 10:
		s.ttl = s.exists
		return cmd(boolReply(s.exists), "EXPIRE", key, strconv.Itoa(ttlSeconds))
	case p < 13:
		had := s.exists && s.ttl
		s.ttl = false
		return cmd(boolReply(had), "PERSIST", key)
	}
	switch s.fam {
	case famString:
		return s.nextString(r, key, tag)
	case famHash:
		return s.nextHash(r, key, tag)
	case famList:
		return s.nextList(r, key, tag)
	case famSet:
		return s.nextSet(r, key)
	default:
		return s.nextZSet(r, key, tag)
	}
}

func (s *keyState) nextString(r *rand.Rand, key, tag string) command {
	cur, numErr := strconv.ParseInt(s.str, 10, 64)
	numeric := !s.exists || numErr == nil
	switch p := r.IntN(10); {
	case p < 4 && numeric:
		if !s.exists {
			cur = 0
		}
		s.exists, s.str = true, strconv.FormatInt(cur+1, 10)
		return cmd(":"+s.str, "INCR", key)
	case p < 6:
		s.exists, s.str, s.ttl = true, "v"+tag, false
		return cmd("+OK", "SET", key, s.str)
	case p < 7:
		s.exists, s.str, s.ttl = true, "x"+tag, true
		if r.IntN(8) == 0 {
			// A value of 8 to 100 KiB: WAL records spanning blocks.
			s.str = bigValue(tag, 8<<10+r.IntN(92<<10))
		}
		return cmd("+OK", "SET", key, s.str, "EX", strconv.Itoa(ttlSeconds))
	default:
		if !s.exists {
			s.str = ""
		}
		s.exists, s.str = true, s.str+tag+","
		return cmd(intReply(len(s.str)), "APPEND", key, tag+",")
	}
}

func (s *keyState) nextHash(r *rand.Rand, key, tag string) command {
	f := "f" + strconv.Itoa(r.IntN(6))
	switch p := r.IntN(10); {
	case p < 5:
		_, had := s.hash[f]
		s.hash[f] = tag
		s.settle()
		return cmd(boolReply(!had), "HSET", key, f, tag)
	case p < 7:
		_, had := s.hash[f]
		delete(s.hash, f)
		s.settle()
		return cmd(boolReply(had), "HDEL", key, f)
	default:
		incr := 1 + r.IntN(3)
		v := atoi(s.hash["cnt"]) + incr
		s.hash["cnt"] = strconv.Itoa(v)
		s.settle()
		return cmd(intReply(v), "HINCRBY", key, "cnt", strconv.Itoa(incr))
	}
}

func atoi(s string) int { v, _ := strconv.Atoi(s); return v }

func (s *keyState) nextList(r *rand.Rand, key, tag string) command {
	p := r.IntN(10)
	if len(s.list) > 24 {
		p = 6 + r.IntN(4) // keep lists short: pop
	}
	switch {
	case p < 3:
		s.list = append(s.list, tag)
		s.settle()
		return cmd(intReply(len(s.list)), "RPUSH", key, tag)
	case p < 6:
		s.list = append([]string{tag}, s.list...)
		s.settle()
		return cmd(intReply(len(s.list)), "LPUSH", key, tag)
	case p < 8:
		if len(s.list) == 0 {
			return cmd("$nil", "LPOP", key)
		}
		v := s.list[0]
		s.list = s.list[1:]
		s.settle()
		return cmd(bulkReply(v), "LPOP", key)
	default:
		if len(s.list) == 0 {
			return cmd("$nil", "RPOP", key)
		}
		v := s.list[len(s.list)-1]
		s.list = s.list[:len(s.list)-1]
		s.settle()
		return cmd(bulkReply(v), "RPOP", key)
	}
}

func (s *keyState) nextSet(r *rand.Rand, key string) command {
	m := "m" + strconv.Itoa(r.IntN(12))
	had := s.set[m]
	if r.IntN(10) < 6 {
		s.set[m] = true
		s.settle()
		return cmd(boolReply(!had), "SADD", key, m)
	}
	delete(s.set, m)
	s.settle()
	return cmd(boolReply(had), "SREM", key, m)
}

func (s *keyState) nextZSet(r *rand.Rand, key, tag string) command {
	m := "m" + strconv.Itoa(r.IntN(8))
	old, had := s.zset[m]
	switch p := r.IntN(10); {
	case p < 4:
		s.zset[m] = int64(atoi(tag))
		s.settle()
		return cmd(boolReply(!had), "ZADD", key, tag, m)
	case p < 7:
		s.zset[m] = old + 1
		s.settle()
		return cmd(bulkReply(strconv.FormatInt(old+1, 10)), "ZINCRBY", key, "1", m)
	default:
		delete(s.zset, m)
		s.settle()
		return cmd(boolReply(had), "ZREM", key, m)
	}
}

// bigValue returns a value of n bytes that starts with tag.
func bigValue(tag string, n int) string {
	var b strings.Builder
	b.Grow(n)
	b.WriteString("big" + tag + ":")
	for i := 0; b.Len() < n; i++ {
		b.WriteString(strconv.Itoa(i))
		b.WriteByte(' ')
	}
	return b.String()[:n]
}
