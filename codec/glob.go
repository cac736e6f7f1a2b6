package codec

// Match reports whether str matches the glob pattern with the semantics of
// Redis's stringmatchlen (case-sensitive), as used by KEYS and SCAN MATCH:
//
//   - any run of bytes, including none
//     ?       any one byte
//     [abc]   one byte of the set; [^abc] one byte not in it
//     [a-z]   a range (reversed bounds are swapped); \x inside a set is x
//     \x      the byte x literally
//
// Redis's quirks are kept: an unterminated '[' takes the rest of the pattern
// as its set, "[a-]" is the range from 'a' to ']', a trailing '\' is a
// literal backslash, and an empty str matches only the empty pattern (KEYS
// and SCAN treat the pattern "*" specially before calling the matcher).
//
// Every token other than '*' consumes exactly one byte, so backtracking to
// the most recent '*' is enough: the time is O(len(pattern) * len(str)) for
// any pattern, where a naive recursive matcher is exponential in the number
// of stars.
func Match(pattern, str []byte) bool {
	if len(str) == 0 {
		return len(pattern) == 0
	}
	p, s := 0, 0
	starP, starS := -1, 0 // pattern index after the last '*', and where it resumes in str
	for {
		if s == len(str) {
			for p < len(pattern) && pattern[p] == '*' {
				p++
			}
			if p == len(pattern) {
				return true
			}
		} else if p < len(pattern) {
			if pattern[p] == '*' {
				for p < len(pattern) && pattern[p] == '*' {
					p++
				}
				if p == len(pattern) {
					return true
				}
				starP, starS = p, s
				continue
			}
			if next, ok := matchToken(pattern, p, str[s]); ok {
				p, s = next, s+1
				continue
			}
		}
		// Mismatch: let the last star absorb one more byte.
		if starP < 0 || starS >= len(str)-1 {
			return false
		}
		starS++
		p, s = starP, starS
	}
}

// matchToken matches the single-byte token at pattern[p] (not '*') against c
// and returns the index after the token.
func matchToken(pattern []byte, p int, c byte) (next int, ok bool) {
	n := len(pattern)
	switch pattern[p] {
	case '?':
		return p + 1, true
	case '[':
		return matchClass(pattern, p+1, c)
	case '\\':
		if n-p >= 2 {
			p++
		}
	}
	return p + 1, pattern[p] == c
}

// matchClass matches c against the set starting at pattern[p] (just after
// '[') and returns the index after the closing ']' (or the pattern's end).
func matchClass(pattern []byte, p int, c byte) (int, bool) {
	n := len(pattern)
	not := p < n && pattern[p] == '^'
	if not {
		p++
	}
	match := false
	for {
		if p >= n {
			break // unterminated: the set runs to the end
		}
		switch {
		case pattern[p] == '\\' && n-p >= 2:
			p++
			if pattern[p] == c {
				match = true
			}
		case pattern[p] == ']':
			return p + 1, match != not
		case n-p >= 3 && pattern[p+1] == '-':
			lo, hi := pattern[p], pattern[p+2]
			if lo > hi {
				lo, hi = hi, lo
			}
			if c >= lo && c <= hi {
				match = true
			}
			p += 2
		default:
			if pattern[p] == c {
				match = true
			}
		}
		p++
	}
	return n, match != not
}

// literalPrefix returns the bytes every match of pattern must start with:
// the pattern up to its first special byte. KEYS and SCAN use it to read only
// the matching part of the key space.
func literalPrefix(pattern []byte) []byte {
	for i, c := range pattern {
		switch c {
		case '*', '?', '[', '\\':
			return pattern[:i]
		}
	}
	return pattern
}
