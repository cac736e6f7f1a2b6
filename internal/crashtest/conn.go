package crashtest

import (
	"bufio"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/strata-db/strata/server/resp"
)

// conn is a minimal RESP2 client connection.
type conn struct {
	nc  net.Conn
	br  *bufio.Reader
	buf []byte
}

func dial(addr string) (*conn, error) {
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &conn{nc: nc, br: bufio.NewReader(nc)}, nil
}

func (c *conn) close() { c.nc.Close() }

// send writes the commands as one pipeline and reads one reply per command.
func (c *conn) send(timeout time.Duration, cmds ...[]string) ([]resp.Value, error) {
	c.buf = c.buf[:0]
	for _, args := range cmds {
		c.buf = resp.AppendArrayHeader(c.buf, len(args))
		for _, a := range args {
			c.buf = resp.AppendBulkString(c.buf, a)
		}
	}
	c.nc.SetDeadline(time.Now().Add(timeout))
	if _, err := c.nc.Write(c.buf); err != nil {
		return nil, err
	}
	out := make([]resp.Value, 0, len(cmds))
	for range cmds {
		v, err := resp.ReadReply(c.br)
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	return out, nil
}

// do runs one command.
func (c *conn) do(args ...string) (resp.Value, error) {
	vs, err := c.send(30*time.Second, args)
	if err != nil {
		return resp.Value{}, err
	}
	return vs[0], nil
}

// replyText writes a reply in a compact notation that the model also
// produces for the reply it expects: +OK, :3, $value, $nil, -ERR ...,
// *[a,b].
func replyText(v resp.Value) string {
	switch v.Kind {
	case resp.KindSimpleString:
		return "+" + v.Str
	case resp.KindError:
		return "-" + v.Str
	case resp.KindInteger:
		return ":" + strconv.FormatInt(v.Int, 10)
	case resp.KindBulk:
		if v.Nil {
			return "$nil"
		}
		return "$" + v.Str
	case resp.KindArray:
		if v.Nil {
			return "*nil"
		}
		parts := make([]string, len(v.Elems))
		for i, e := range v.Elems {
			parts[i] = replyText(e)
		}
		return "*[" + strings.Join(parts, ",") + "]"
	}
	return v.String()
}
