package resp

import "bytes"

// parseInline parses an inline command: one line ended by "\n" (a "\r"
// before it is dropped), split into arguments by splitInline. It mirrors
// processInlineBuffer in Redis's networking.c. A line longer than
// MaxInlineLen is "too big inline request"; an empty or blank line is an
// empty command.
func (r *Reader) parseInline(end int) bool {
	i, ok := r.lineEnd(end, '\n', ErrTooBigInline)
	if !ok {
		return false
	}
	line := r.buf[r.r:i]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	r.r = i + 1
	args, ok := splitInline(r.args[:0], line)
	r.args = args
	if !ok {
		r.err = ErrUnbalancedQuotes
		return false
	}
	return true
}

// splitInline splits line into arguments with the rules of Redis's
// sdssplitargs, appends the non-empty ones to dst (Redis drops empty
// arguments of inline commands) and reports whether the quotes balance.
//
// The rules:
//
//   - Arguments are separated by blanks (space, \t, \n, \v, \f, \r); an
//     unquoted argument ends at a space, \t, \n or \r (not at \v or \f).
//   - "double quotes" take the escapes \xHH (two hex digits), \n, \r, \t,
//     \b, \a, and \ before any other byte stands for that byte.
//   - 'single quotes' take only \' as an escape.
//   - A closing quote must be followed by a blank or the end of the line;
//     a quote left open or followed by another byte is an error.
//   - Quotes may start in the middle of an argument: a"b c" is "ab c".
//   - A NUL byte ends the line, as it ends the C string Redis parses.
//
// Unescaping never makes an argument longer than its source, so the
// arguments are written in place over line and alias it.
func splitInline(dst [][]byte, line []byte) ([][]byte, bool) {
	return splitArgs(dst, line, false)
}

// SplitArgs splits a line with Redis's sdssplitargs rules (the rules listed
// for splitInline), keeping empty quoted arguments such as "" as Redis
// does for config files. ok is false for unbalanced quotes. The line is
// copied: the result does not alias it.
func SplitArgs(line string) (args []string, ok bool) {
	parts, ok := splitArgs(nil, []byte(line), true)
	if !ok {
		return nil, false
	}
	args = make([]string, len(parts))
	for i, p := range parts {
		args[i] = string(p)
	}
	return args, true
}

// splitArgs is splitInline, optionally keeping empty quoted arguments.
func splitArgs(dst [][]byte, line []byte, keepEmpty bool) ([][]byte, bool) {
	if i := bytes.IndexByte(line, 0); i >= 0 {
		line = line[:i]
	}
	n := len(line)
	i := 0
	for {
		for i < n && isSpace(line[i]) {
			i++
		}
		if i == n {
			return dst, true
		}
		// Fast path: an argument without quotes is used as it is.
		j := i
		for j < n && !plainEnd[line[j]] {
			j++
		}
		if j == n || (line[j] != '"' && line[j] != '\'') {
			if j > i {
				dst = append(dst, line[i:j])
			}
			i = min(j+1, n) // past the separator
			continue
		}
		start, w := i, i // the argument is line[start:w]
		inDouble, inSingle := false, false
		for done := false; !done; {
			atEnd := i == n
			var c byte
			if !atEnd {
				c = line[i]
			}
			switch {
			case inDouble:
				switch {
				case c == '\\' && i+3 < n && line[i+1] == 'x' && isHex(line[i+2]) && isHex(line[i+3]):
					line[w] = unhex(line[i+2])<<4 | unhex(line[i+3])
					w++
					i += 3
				case c == '\\' && i+1 < n:
					i++
					line[w] = unescape(line[i])
					w++
				case c == '"':
					if i+1 < n && !isSpace(line[i+1]) {
						return dst, false
					}
					done = true
				case atEnd:
					return dst, false
				default:
					line[w] = c
					w++
				}
			case inSingle:
				switch {
				case c == '\\' && i+1 < n && line[i+1] == '\'':
					i++
					line[w] = '\''
					w++
				case c == '\'':
					if i+1 < n && !isSpace(line[i+1]) {
						return dst, false
					}
					done = true
				case atEnd:
					return dst, false
				default:
					line[w] = c
					w++
				}
			default:
				switch {
				case atEnd || c == ' ' || c == '\n' || c == '\r' || c == '\t':
					done = true
				case c == '"':
					inDouble = true
				case c == '\'':
					inSingle = true
				default:
					line[w] = c
					w++
				}
			}
			if !atEnd {
				i++
			}
		}
		if w > start || keepEmpty {
			dst = append(dst, line[start:w])
		}
	}
}

// plainEnd marks the bytes that end the run of plain bytes at the start of
// an unquoted argument: its separators and the quotes.
var plainEnd = [256]bool{' ': true, '\n': true, '\r': true, '\t': true, '"': true, '\'': true}

// isSpace is C's isspace in the C locale.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// unescape maps the byte after a backslash inside double quotes.
func unescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'b':
		return '\b'
	case 'a':
		return '\a'
	}
	return c
}
