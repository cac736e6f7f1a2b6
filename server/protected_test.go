package server

import (
	"net"
	"os"
	"strings"
	"testing"
)

// nonLoopbackIPv4 returns an IPv4 address of this machine that is not a
// loopback one, so a test can connect from it.
func nonLoopbackIPv4(t *testing.T) string {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && ipn.IP.To4() != nil {
			return ipn.IP.String()
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no non-loopback IPv4 address: the protected-mode test cannot run")
	}
	t.Skip("no non-loopback IPv4 address on this machine")
	return ""
}

// TestProtectedMode: with protected mode on and no password, a client
// connecting from a non-loopback address is refused with Redis's message;
// a password, or protected mode off, lets it in.
func TestProtectedMode(t *testing.T) {
	ip := nonLoopbackIPv4(t)
	for _, tc := range []struct {
		name      string
		overrides []string
		want      string // from the non-loopback address
		wantLocal string // from loopback
	}{
		{"refused", nil, "-DENIED Strata is running in protected mode", "+PONG"},
		{"password", []string{"--requirepass", "pw"}, "-NOAUTH Authentication required.", "-NOAUTH Authentication required."},
		{"off", []string{"--protected-mode", "no"}, "+PONG", "+PONG"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, t.TempDir(), append([]string{"--bind", ip + " 127.0.0.1"}, tc.overrides...)...)
			_, port, _ := net.SplitHostPort(ts.addr)
			c := dialRaw(t, net.JoinHostPort(ip, port))
			v, err := c.do("PING")
			if err != nil {
				t.Fatalf("PING from %s: %v", ip, err)
			}
			if got := v.String(); !strings.HasPrefix(got, tc.want) {
				t.Fatalf("PING from %s: %s, want %s", ip, got, tc.want)
			}
			// Loopback clients are let in (to AUTH, with a password).
			local := dialRaw(t, ts.s.listeners[1].Addr().String()) // port 0: each bind address has its own
			if got := local.mustDo(t, "PING").String(); got != tc.wantLocal {
				t.Fatalf("loopback PING: %s, want %s", got, tc.wantLocal)
			}
		})
	}
}
