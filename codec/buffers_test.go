package codec

import "testing"

// Get with Buffers judges expiry at the time given by SetNow, not the
// clock's, and at the clock's again after SetNow(0).
func TestBuffersSetNow(t *testing.T) {
	f := newFixture(t)
	now := f.clock.Now().UnixMilli()
	f.setEx("k", "v", now+1000)
	var buf Buffers
	d := f.ks.DBWith(0, &buf)

	buf.SetNow(now + 1000) // the instant it expires
	if _, found, err := d.Get(b("k")); found || err != nil {
		t.Fatalf("Get at the expiry time: found %v, err %v; want an expired key", found, err)
	}
	buf.SetNow(now + 999)
	if v, found, err := d.Get(b("k")); !found || err != nil || string(v) != "v" {
		t.Fatalf("Get before the expiry time: %q %v %v", v, found, err)
	}
	f.clock.Advance(5000)
	if _, found, _ := d.Get(b("k")); !found {
		t.Fatal("Get read the clock although SetNow gave a time")
	}
	buf.SetNow(0)
	if _, found, _ := d.Get(b("k")); found {
		t.Fatal("Get after SetNow(0) did not read the clock")
	}
}
