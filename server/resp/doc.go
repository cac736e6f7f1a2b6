// Package resp speaks the Redis serialization protocol, RESP2 and RESP3, on
// the server's side: a Reader that parses the commands a client sends, and
// append-style encoders plus a Writer that build the replies. A small
// client-side parser, ReadReply, reads replies back for tests and tools.
// It uses the standard library only.
//
// # Usage
//
// The connection loop reads every buffered command, runs them all, and
// flushes the replies once (one write per pipeline, as Redis and redcon do):
//
//	r := resp.NewReader(conn, resp.Limits{})   // zero limits: Redis 7 defaults
//	w := resp.NewWriter(2)                     // HELLO 3 calls w.SetProtocol(3)
//	for {
//		if !r.HasCommand() {
//			if err := w.Flush(conn); err != nil {
//				return err
//			}
//		}
//		args, err := r.ReadCommand()
//		var pe *resp.ProtocolError
//		switch {
//		case errors.As(err, &pe):
//			w.Error(pe.Error()) // "-ERR Protocol error: ...", then close
//			w.Flush(conn)
//			return err
//		case err != nil:
//			return err // io.EOF, resp.ErrQueryBufferLimit, a read error
//		}
//		run(args, w) // args alias r's buffer: copy what outlives the command
//	}
//
// Replies are appended to the Writer's buffer:
//
//	w.ArrayHeader(2)
//	w.Bulk(value)
//	w.Null()        // $-1 in RESP2, _ in RESP3
//	w.MapHeader(1)  // *2 in RESP2, %1 in RESP3
//	w.Double(1.5)   // $3 1.5 in RESP2, ,1.5 in RESP3
//
// The Append functions (AppendBulk, AppendInt, AppendArrayHeader, ...)
// write one protocol's syntax to any []byte, for replies encoded once and
// reused with Writer.Raw, and for clients (AppendCommand).
//
// # Requests
//
// A request whose first byte is '*' is a multibulk: "*N\r\n" then N
// arguments "$len\r\n<len bytes>\r\n". Anything else is an inline request:
// one line ended by "\n" (or "\r\n"), split at blanks with the quoting
// rules of Redis's sdssplitargs: "double quotes" understand \xHH, \n, \r,
// \t, \b, \a and backslash before any other byte; 'single quotes'
// understand only \'; a closing quote must be followed by a blank or the end
// of the line, or the request is "unbalanced quotes"; a NUL byte ends the
// line. The Reader follows Redis 7's processMultibulkBuffer and
// processInlineBuffer, quirks included: the two bytes after a header's '\r'
// and after an argument are skipped unchecked, "*0", "*-1" and blank lines
// are skipped, empty inline arguments are dropped, lengths are parsed
// strictly (no '+', no leading zeros). Each malformed input gets the exact
// error reply Redis sends; see errors.go.
//
// # Concurrency
//
// Reader and Writer are not safe for concurrent use: each belongs to one
// connection's goroutine. ReadReply is safe to call from several goroutines
// with different bufio.Readers.
//
// # Invariants
//
//  1. The commands ReadCommand returns, and the error that ends them, depend
//     only on the bytes received, never on how reads split them. Every limit
//     is a function of the bytes: a line is too long when more than
//     MaxInlineLen bytes precede its terminator; a command is too big when
//     it takes more than QueryBufferLimit bytes. (Redis checks some of these
//     per read, so a line a little over 64 KiB can slip through there when
//     it arrives in one read; here it never does.)
//  2. Nothing is allocated from a declared length. The input buffer grows by
//     doubling only when the bytes received fill it, so it stays within
//     twice the bytes of the command being read plus a few KiB, and never
//     beyond QueryBufferLimit. A buffer grown for a big command is released
//     once it holds nothing.
//  3. Arguments alias the input buffer and stay valid until the next
//     ReadCommand or HasCommand call.
//  4. Protocol errors (*ProtocolError) and ErrQueryBufferLimit are sticky.
//     Read errors are not: a read deadline loses no parsed state.
//  5. In steady state, reading a command and writing a reply allocate
//     nothing.
//
// # Compatibility notes
//
// Limits.MaxMultibulkLen defaults to INT_MAX as in Redis 7 (Redis 6 used
// 1024*1024); before authentication the Reader applies Redis's fixed limits
// of 10 arguments of 16 KiB (SetAuthRequired). Doubles are formatted as
// Redis 7.0 does, with %.17g in RESP2 and RESP3 alike ("0.10000000000000001";
// 7.2 sends the shortest round-trip digits, "0.1"). Both parse to the same
// double.
package resp
