package resp

import "errors"

// Protocol error replies, exactly as Redis 7 writes them (networking.c,
// processInlineBuffer and processMultibulkBuffer). Each is the text of an
// error reply without its leading '-'. They are part of the wire protocol:
// clients and test suites match them, so never reword one.
const (
	msgInvalidMultibulkLen = "ERR Protocol error: invalid multibulk length"
	msgInvalidBulkLen      = "ERR Protocol error: invalid bulk length"
	msgUnauthMultibulkLen  = "ERR Protocol error: unauthenticated multibulk length"
	msgUnauthBulkLen       = "ERR Protocol error: unauthenticated bulk length"
	msgExpectedDollar      = "ERR Protocol error: expected '$', got '" // + byte + "'"
	msgTooBigInline        = "ERR Protocol error: too big inline request"
	msgTooBigMbulkCount    = "ERR Protocol error: too big mbulk count string"
	msgTooBigBulkCount     = "ERR Protocol error: too big bulk count string"
	msgUnbalancedQuotes    = "ERR Protocol error: unbalanced quotes in request"
)

// ProtocolError is a request the Reader cannot parse. Redis answers it with
// an error reply and closes the connection once the reply is written; the
// server must do the same:
//
//	var pe *resp.ProtocolError
//	if errors.As(err, &pe) {
//		w.Error(pe.Error()) // "-ERR Protocol error: ...\r\n"
//		w.Flush(conn)
//		conn.Close()
//	}
//
// Error returns the reply text verbatim (it has no "resp:" prefix because it
// goes to the client as is). A ProtocolError is sticky: every later call to
// ReadCommand returns it again.
type ProtocolError struct {
	msg string
}

// Error returns the error reply text, for example
// "ERR Protocol error: invalid bulk length".
func (e *ProtocolError) Error() string { return e.msg }

// The fixed protocol errors. ReadCommand returns these exact values, so they
// can be matched with errors.Is. The "expected '$', got 'X'" error depends on
// the offending byte and is matched with errors.As only.
var (
	ErrInvalidMultibulkLen = &ProtocolError{msgInvalidMultibulkLen}
	ErrInvalidBulkLen      = &ProtocolError{msgInvalidBulkLen}
	ErrUnauthMultibulkLen  = &ProtocolError{msgUnauthMultibulkLen}
	ErrUnauthBulkLen       = &ProtocolError{msgUnauthBulkLen}
	ErrTooBigInline        = &ProtocolError{msgTooBigInline}
	ErrTooBigMbulkCount    = &ProtocolError{msgTooBigMbulkCount}
	ErrTooBigBulkCount     = &ProtocolError{msgTooBigBulkCount}
	ErrUnbalancedQuotes    = &ProtocolError{msgUnbalancedQuotes}
)

// errExpectedDollar builds the error for a multibulk element that does not
// start with '$'. Redis formats it with "%c" and then, like every formatted
// error reply, turns CR and LF into spaces; any other byte, NUL and bytes
// above 0x7f included, is printed raw (Redis 7.2 keeps the NUL since
// sdscatvprintf copies by length).
func errExpectedDollar(b byte) *ProtocolError {
	if b == '\r' || b == '\n' {
		b = ' '
	}
	return &ProtocolError{msgExpectedDollar + string([]byte{b}) + "'"}
}

// ErrQueryBufferLimit is returned by ReadCommand when one command needs more
// than Limits.QueryBufferLimit bytes of input (Redis's
// client-query-buffer-limit). Redis closes such a client without a reply;
// the server should log it and close the connection. It is sticky.
var ErrQueryBufferLimit = errors.New("resp: client query buffer limit reached")

// ErrMalformedReply is wrapped by the errors ReadReply returns for input that
// is not a valid RESP2 or RESP3 reply.
var ErrMalformedReply = errors.New("resp: malformed reply")

// errInvalidRead reports an io.Reader that returned a count outside the
// buffer it was given.
var errInvalidRead = errors.New("resp: read returned an invalid count")
