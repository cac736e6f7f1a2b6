package server

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/strata-db/strata/codec"
	"github.com/strata-db/strata/server/resp"
)

// The pub/sub registry: who is subscribed to what, and message delivery.
//
// Three kinds of subscription share one mechanism: channels (SUBSCRIBE),
// patterns (PSUBSCRIBE, Redis glob rules) and shard channels (SSUBSCRIBE;
// without a cluster they are one more namespace). A message is encoded
// once per publish (once per matching pattern) and appended to each
// receiver's outbox (outbox.go); delivery never waits on a connection.
//
// # Locking
//
// pubsub.mu guards the registry and every client's subscription sets:
// subscribing and unsubscribing take it for writing, PUBLISH and PUBSUB for
// reading. PUBLISH appends to outboxes while it holds the read lock, so:
//
//  1. a client subscribes under the write lock after appending the replies
//     before its SUBSCRIBE and the confirmation to its outbox: every message
//     published after the subscription follows its confirmation;
//  2. a client unsubscribes under the write lock: every message of the
//     channel published before is already in its outbox, so nothing of
//     the channel follows the unsubscribe confirmation.
//
// Lock order: pubsub.mu, then an outbox's mu.

// subKind is a kind of subscription.
type subKind int

const (
	subChannel subKind = iota
	subPattern
	subShard
	numSubKinds
)

// subKindNames are the words of confirmations and messages, by kind.
var subKindNames = [numSubKinds]struct{ subscribe, unsubscribe, message string }{
	{"subscribe", "unsubscribe", "message"},
	{"psubscribe", "punsubscribe", "pmessage"},
	{"ssubscribe", "sunsubscribe", "smessage"},
}

// pubsub is the server's registry.
type pubsub struct {
	mu sync.RWMutex
	// subs maps a channel (or pattern) to its subscribers, by kind.
	subs [numSubKinds]map[string]*subscribers
}

// subscribers are the clients subscribed to one channel or pattern.
type subscribers struct {
	name    []byte // the channel or pattern, for matching without a copy
	clients map[*client]struct{}
}

func (ps *pubsub) init() {
	for k := range ps.subs {
		ps.subs[k] = make(map[string]*subscribers)
	}
}

// clientSubs is one client's subscriptions. The sets change under
// pubsub.mu (write) and are read only by the client's goroutine; the
// counts are read by anyone (CLIENT LIST, the idle-timeout cron).
type clientSubs struct {
	names  [numSubKinds]map[string]struct{}
	counts [numSubKinds]atomic.Int64
}

// subscribed reports whether the client has any subscription: Redis's
// CLIENT_PUBSUB flag (flags=P, the pubsub limit class, RESP2's
// subscribed mode).
func (cs *clientSubs) subscribed() bool {
	return cs.counts[subChannel].Load()+cs.counts[subPattern].Load()+cs.counts[subShard].Load() > 0
}

// count is the number a confirmation of kind reports: channels and
// patterns together, shard channels apart (as Redis 7.0 counts them).
func (cs *clientSubs) count(kind subKind) int64 {
	if kind == subShard {
		return cs.counts[subShard].Load()
	}
	return cs.counts[subChannel].Load() + cs.counts[subPattern].Load()
}

// subscribe adds c to each of names and confirms each, in order. The
// client switches to async output first (outbox.go).
func (s *Server) subscribe(c *client, kind subKind, names [][]byte) {
	c.async = true
	c.enqueueReplies() // the replies before SUBSCRIBE come first
	ps := &s.pubsub
	ps.mu.Lock()
	defer ps.mu.Unlock()
	cs := &c.subs
	for _, n := range names {
		if cs.names[kind] == nil {
			cs.names[kind] = make(map[string]struct{})
		}
		name := string(n)
		if _, dup := cs.names[kind][name]; !dup {
			cs.names[kind][name] = struct{}{}
			cs.counts[kind].Add(1)
			sub := ps.subs[kind][name]
			if sub == nil {
				sub = &subscribers{name: []byte(name), clients: make(map[*client]struct{})}
				ps.subs[kind][name] = sub
			}
			sub.clients[c] = struct{}{}
		}
		c.w.PushHeader(3)
		c.w.BulkString(subKindNames[kind].subscribe)
		c.w.Bulk(n)
		c.w.Integer(cs.count(kind))
	}
	c.out.setClass(classPubSub)
	c.enqueueReplies() // invariant 1: before any message, under the lock
}

// unsubscribe removes c from each of names (every subscription of kind
// when there are none) and confirms each.
func (s *Server) unsubscribe(c *client, kind subKind, names [][]byte) {
	ps := &s.pubsub
	ps.mu.Lock()
	defer ps.mu.Unlock()
	cs := &c.subs
	if len(names) == 0 {
		for _, name := range sortedNames(cs.names[kind]) {
			names = append(names, []byte(name))
		}
		if len(names) == 0 {
			c.w.PushHeader(3)
			c.w.BulkString(subKindNames[kind].unsubscribe)
			c.w.Null()
			c.w.Integer(cs.count(kind))
		}
	}
	for _, n := range names {
		ps.removeLocked(c, kind, string(n))
		c.w.PushHeader(3)
		c.w.BulkString(subKindNames[kind].unsubscribe)
		c.w.Bulk(n)
		c.w.Integer(cs.count(kind))
	}
	if !cs.subscribed() {
		c.out.setClass(classNormal)
	}
}

// unsubscribeAll drops every subscription of c without replies (RESET,
// disconnection).
func (s *Server) unsubscribeAll(c *client) {
	cs := &c.subs
	if !cs.subscribed() {
		return
	}
	ps := &s.pubsub
	ps.mu.Lock()
	for kind := range cs.names {
		for name := range cs.names[kind] {
			ps.removeLocked(c, subKind(kind), name)
		}
	}
	ps.mu.Unlock()
	c.out.setClass(classNormal)
}

// removeLocked removes one subscription of c, if it has it.
func (ps *pubsub) removeLocked(c *client, kind subKind, name string) {
	cs := &c.subs
	if _, ok := cs.names[kind][name]; !ok {
		return
	}
	delete(cs.names[kind], name)
	cs.counts[kind].Add(-1)
	if sub := ps.subs[kind][name]; sub != nil {
		delete(sub.clients, c)
		if len(sub.clients) == 0 {
			delete(ps.subs[kind], name)
		}
	}
}

func sortedNames(m map[string]struct{}) []string {
	out := make([]string, 0, len(m))
	for n := range m {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// publish delivers msg to the subscribers of channel (kind subChannel or
// subShard) and, for a channel, to the subscribers of every matching
// pattern, and returns the number of deliveries, as PUBLISH counts them.
func (s *Server) publish(kind subKind, channel, msg []byte) int64 {
	ps := &s.pubsub
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	var n int64
	if sub := ps.subs[kind][string(channel)]; sub != nil {
		body := encodeMessage(nil, subKindNames[kind].message, nil, channel, msg)
		for c := range sub.clients {
			c.out.pushMessage(3, body)
		}
		n += int64(len(sub.clients))
	}
	if kind != subChannel {
		return n
	}
	for _, sub := range ps.subs[subPattern] {
		if !codec.Match(sub.name, channel) {
			continue
		}
		body := encodeMessage(nil, "pmessage", sub.name, channel, msg)
		for c := range sub.clients {
			c.out.pushMessage(4, body)
		}
		n += int64(len(sub.clients))
	}
	return n
}

// encodeMessage appends the elements of a message after its header: the
// kind, the pattern (pmessage only), the channel and the payload.
func encodeMessage(dst []byte, kind string, pattern, channel, msg []byte) []byte {
	dst = resp.AppendBulkString(dst, kind)
	if pattern != nil {
		dst = resp.AppendBulk(dst, pattern)
	}
	dst = resp.AppendBulk(dst, channel)
	return resp.AppendBulk(dst, msg)
}

// channels returns the channels (or shard channels) with subscribers that
// match pattern (all when nil), sorted.
func (s *Server) channels(kind subKind, pattern []byte) []string {
	ps := &s.pubsub
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	var out []string
	for name, sub := range ps.subs[kind] {
		if pattern == nil || codec.Match(pattern, sub.name) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// numSub returns the number of subscribers of each channel.
func (s *Server) numSub(kind subKind, names [][]byte) []int64 {
	ps := &s.pubsub
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	out := make([]int64, len(names))
	for i, n := range names {
		if sub := ps.subs[kind][string(n)]; sub != nil {
			out[i] = int64(len(sub.clients))
		}
	}
	return out
}

// pubsubCounts returns the number of channels, patterns and shard channels
// with subscribers (INFO's pubsub_channels, pubsub_patterns,
// pubsubshard_channels; PUBSUB NUMPAT).
func (s *Server) pubsubCounts() (channels, patterns, shard int) {
	ps := &s.pubsub
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	return len(ps.subs[subChannel]), len(ps.subs[subPattern]), len(ps.subs[subShard])
}
